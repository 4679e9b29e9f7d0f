import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * One process per PGlite folder. PGlite is Postgres compiled to WebAssembly, inside this process:
 * it has no postmaster and no shared memory, so two processes on one folder each run their own
 * Postgres over the same files, never see each other's writes, and the last to flush overwrites
 * the other's (an acknowledged markToMarket and its journal entry were lost that way). Several
 * instances need a real Postgres (DATABASE_URL).
 *
 * The lock is a file in the folder, created atomically (hard link of a complete temporary file:
 * never seen half-written) before PGlite opens, removed when the process stops. A crash leaves it
 * behind: the next start finds its pid dead (or alive but another program, by the process start
 * time Linux records) and takes it over; Postgres replays its WAL on open, as after any crash.
 */
export const PGLITE_LOCK_FILE = 'gateway.lock';

export type PgliteLockErrorCode = 'PGLITE_DIR_LOCKED' | 'PGLITE_DIR_UNUSABLE';

export class PgliteLockError extends Error {
  override readonly name = 'PgliteLockError';
  constructor(
    readonly code: PgliteLockErrorCode,
    message: string,
  ) {
    super(message);
  }
}

interface LockRecord {
  readonly pid: number;
  readonly hostname: string;
  /** Start time of the process in clock ticks since boot (Linux /proc), null elsewhere. */
  readonly processStart: string | null;
  /** Unique per acquisition: a takeover checks it moved the record it judged stale. */
  readonly nonce: string;
  readonly acquiredAt: string;
}

export interface PgliteLock {
  readonly file: string;
  /** Removes the lock file if it is still this process's; idempotent. */
  release(): void;
}

/** The start time of a process, in ticks since boot (field 22 of /proc/<pid>/stat), or null. */
function processStartOf(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from its end.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

function isAlive(record: LockRecord): boolean {
  // Another machine (a shared network folder): its processes cannot be checked from here.
  if (record.hostname !== os.hostname()) return true;
  try {
    process.kill(record.pid, 0);
  } catch (error) {
    // EPERM: it exists, as another user's process.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // The pid is in use; after a crash and a reboot it may be another program's.
  if (record.processStart === null) return true;
  const start = processStartOf(record.pid);
  return start === null || start === record.processStart;
}

function readRecord(file: string): LockRecord | null {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockRecord>;
    return typeof parsed.pid === 'number' && typeof parsed.nonce === 'string' ? (parsed as LockRecord) : null;
  } catch {
    return null;
  }
}

function unusable(dataDir: string, error: unknown): PgliteLockError {
  const code = (error as NodeJS.ErrnoException).code ?? String(error);
  return new PgliteLockError(
    'PGLITE_DIR_UNUSABLE',
    `PGLITE_DATA_DIR ${dataDir}: cannot create or write the folder of the embedded database (${code}); set PGLITE_DATA_DIR to a writable folder`,
  );
}

function locked(dataDir: string, holder: LockRecord | null): PgliteLockError {
  const who = holder ? `pid ${holder.pid}${holder.hostname === os.hostname() ? '' : ` on ${holder.hostname}`}` : 'another process';
  return new PgliteLockError(
    'PGLITE_DIR_LOCKED',
    `PGLITE_DATA_DIR ${dataDir} is in use by ${who}: the embedded database serves one process; ` +
      'for several instances use DATABASE_URL (Postgres) and REDIS_URL (Redis)',
  );
}

/**
 * Takes the lock of `dataDir` (created if missing), or throws PgliteLockError: PGLITE_DIR_LOCKED
 * when a live process holds it, PGLITE_DIR_UNUSABLE when the folder cannot be created or written.
 * The lock is released on `release()` and, as a last resort, when the process exits.
 */
export function acquirePgliteLock(dataDir: string): PgliteLock {
  const file = path.join(dataDir, PGLITE_LOCK_FILE);
  const record: LockRecord = {
    pid: process.pid,
    hostname: os.hostname(),
    processStart: processStartOf(process.pid),
    nonce: randomUUID(),
    acquiredAt: new Date().toISOString(),
  };
  const temporary = path.join(dataDir, `${PGLITE_LOCK_FILE}.${process.pid}.${record.nonce}`);
  try {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(temporary, JSON.stringify(record));
  } catch (error) {
    throw unusable(dataDir, error);
  }
  try {
    // Two attempts: the second after taking over a stale lock.
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        fs.linkSync(temporary, file);
        return ownLock(file, record.nonce);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw unusable(dataDir, error);
      }
      const holder = readRecord(file);
      if (holder && isAlive(holder)) throw locked(dataDir, holder);
      takeOver(file, holder, dataDir);
    }
    throw locked(dataDir, readRecord(file));
  } finally {
    fs.rmSync(temporary, { force: true });
  }
}

/**
 * Moves a stale lock aside. Two processes may judge the same lock stale at once: each renames
 * whatever is at `file` to a name of its own, and only the one that moved the record it judged
 * goes on; the other puts back what it moved (the winner's fresh lock) and reports it.
 */
function takeOver(file: string, stale: LockRecord | null, dataDir: string): void {
  const aside = `${file}.stale.${process.pid}.${randomUUID()}`;
  try {
    fs.renameSync(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw unusable(dataDir, error);
  }
  const moved = readRecord(aside);
  if (moved !== null && stale !== null && moved.nonce !== stale.nonce) {
    try {
      fs.linkSync(aside, file);
    } catch {
      // A third process holds it now; the winner's record is lost to it, not to us.
    }
    fs.rmSync(aside, { force: true });
    throw locked(dataDir, moved);
  }
  fs.rmSync(aside, { force: true });
}

function ownLock(file: string, nonce: string): PgliteLock {
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.off('exit', release);
    // Only our own record: after a takeover by someone who judged us dead, the file is theirs.
    if (readRecord(file)?.nonce === nonce) fs.rmSync(file, { force: true });
  };
  process.on('exit', release);
  return { file, release };
}
