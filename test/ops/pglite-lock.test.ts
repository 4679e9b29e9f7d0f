import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { acquirePgliteLock, PGLITE_LOCK_FILE, PgliteLockError } from '../../src/data/pglite-lock';

/**
 * The lock of a PGlite folder, opened twice in one process and against records of other
 * processes (dead, alive, recycled pid). The refusal of a second real gateway process is in
 * process.test.ts.
 */

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pglite-lock-'));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function lockError(f: () => unknown): PgliteLockError {
  try {
    f();
  } catch (error) {
    if (error instanceof PgliteLockError) return error;
    throw error;
  }
  throw new Error('expected a PgliteLockError');
}

/** A pid that was a process and is no more. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

function writeRecord(record: Record<string, unknown>): void {
  fs.writeFileSync(path.join(dir, PGLITE_LOCK_FILE), JSON.stringify({ hostname: os.hostname(), processStart: null, nonce: 'other', acquiredAt: new Date().toISOString(), ...record }));
}

it('refuses a second open of the folder while the first holds it, naming PGLITE_DATA_DIR and DATABASE_URL', () => {
  const data = path.join(dir, 'pg');
  const first = acquirePgliteLock(data);
  const error = lockError(() => acquirePgliteLock(data));
  expect(error.code).toBe('PGLITE_DIR_LOCKED');
  expect(error.message).toContain(`PGLITE_DATA_DIR ${data} is in use by pid ${process.pid}`);
  expect(error.message).toContain('DATABASE_URL');
  expect(error.message).not.toContain('\n');
  first.release();
  // Released: the folder can be opened again, and the lock file is the new holder's.
  const second = acquirePgliteLock(data);
  expect(JSON.parse(fs.readFileSync(second.file, 'utf8'))).toMatchObject({ pid: process.pid });
  second.release();
  expect(fs.existsSync(second.file)).toBe(false);
  // Nothing else is left in the folder: no temporary or stale files.
  expect(fs.readdirSync(data)).toEqual([]);
});

it('takes over the lock a crashed process left behind (its pid is dead)', () => {
  const pid = deadPid();
  writeRecord({ pid });
  const lock = acquirePgliteLock(dir);
  expect(JSON.parse(fs.readFileSync(lock.file, 'utf8'))).toMatchObject({ pid: process.pid });
  lock.release();
  expect(fs.readdirSync(dir)).toEqual([]);
});

it('takes over a lock whose pid now belongs to another program (the start time differs), not one of a live holder', () => {
  // Our own pid, but recorded with another start time: the pid was recycled after a crash.
  writeRecord({ pid: process.pid, processStart: '1' });
  const lock = acquirePgliteLock(dir);
  lock.release();
  // The live holder (pid and start time as recorded): refused.
  const live = acquirePgliteLock(dir);
  expect(lockError(() => acquirePgliteLock(dir)).code).toBe('PGLITE_DIR_LOCKED');
  live.release();
});

it('takes over an unreadable lock file (a crash of a version that wrote it in place)', () => {
  fs.writeFileSync(path.join(dir, PGLITE_LOCK_FILE), '{"pid": 12');
  acquirePgliteLock(dir).release();
});

it('does not release a lock that another process took over meanwhile', () => {
  const lock = acquirePgliteLock(dir);
  // Someone judged us dead and took over: the file is theirs now.
  writeRecord({ pid: process.pid, nonce: 'theirs' });
  lock.release();
  expect(JSON.parse(fs.readFileSync(lock.file, 'utf8'))).toMatchObject({ nonce: 'theirs' });
});

it('reports a folder that cannot be created as PGLITE_DIR_UNUSABLE, naming PGLITE_DATA_DIR', () => {
  const file = path.join(dir, 'a-file');
  fs.writeFileSync(file, '');
  const error = lockError(() => acquirePgliteLock(path.join(file, 'pg')));
  expect(error.code).toBe('PGLITE_DIR_UNUSABLE');
  expect(error.message).toMatch(/^PGLITE_DATA_DIR .*a-file\/pg: cannot create or write the folder .*\(ENOTDIR\)/);
});
