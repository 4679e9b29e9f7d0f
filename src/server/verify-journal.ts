import { readFile } from 'node:fs/promises';
import type { Knex } from 'knex';
import { InvalidInput } from '../domain/errors';
import type { JournalKeyring } from '../domain/journal-hash-keys';
import { parseAnchor, type PrintedAnchor } from '../domain/journal-hash-verify';
import { AnchorPortfolioMissing, verifyEveryJournal, type PortfolioJournalCheck } from '../services/journal.service';

export const VERIFY_JOURNAL_USAGE = `usage: verify-journal [--anchor <portfolio>:<length>:<head>]... [--anchors <file>]... [--portfolio <code>]...

  Walks every portfolio's journal: hash chain, keyed MAC chain (JOURNAL_KEY), stored anchors, and the
  anchors given (as this command prints them: keep its output outside the database, pass it back).
  --portfolio limits the walk to the portfolios named (id or code); by default, every one.
  Exit 0: intact; 1: a broken link (the first is printed); 2: bad arguments.`;

/** Exit codes of verify-journal. */
export const EXIT = { intact: 0, broken: 1, usage: 2 } as const;

export interface VerifyJournalIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Reads an anchors file (tests give their own). */
  readonly readText?: (path: string) => Promise<string>;
}

class UsageError extends Error {}

/** `anchor X:N:H` and bare `X:N:H` lines count; other lines (progress, summary, comments) are skipped. */
function anchorsOfFile(text: string, path: string): PrintedAnchor[] {
  return text.split('\n').flatMap((raw, i) => {
    const line = raw.trim();
    if (!/^anchor\s/.test(line) && !/^[^\s[#]+:\d+:/.test(line)) return [];
    const parsed = parseAnchor(line);
    if (!parsed) throw new UsageError(`${path}:${i + 1}: not an anchor: ${line}`);
    return [parsed];
  });
}

interface Arguments {
  readonly anchors: PrintedAnchor[];
  /** Undefined: every portfolio. */
  readonly portfolios: string[] | undefined;
}

async function parseArgs(args: readonly string[], readText: (path: string) => Promise<string>): Promise<Arguments> {
  const anchors: PrintedAnchor[] = [];
  let portfolios: string[] | undefined;
  for (let i = 0; i < args.length; i += 1) {
    const flag = args[i];
    const value = args[i + 1];
    if ((flag === '--anchor' || flag === '--anchors' || flag === '--portfolio') && value === undefined) throw new UsageError(`${flag} needs a value`);
    if (flag === '--portfolio') {
      portfolios = [...(portfolios ?? []), value ?? ''];
      i += 1;
    } else if (flag === '--anchor') {
      const parsed = parseAnchor(value ?? '');
      if (!parsed) throw new UsageError(`not an anchor: ${value} (expected <portfolio>:<length>:<64 hex digits>)`);
      anchors.push(parsed);
      i += 1;
    } else if (flag === '--anchors') {
      const path = value ?? '';
      const text = await readText(path).catch((error: unknown) => {
        throw new UsageError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
      });
      anchors.push(...anchorsOfFile(text, path));
      i += 1;
    } else {
      throw new UsageError(`unknown argument ${flag}`);
    }
  }
  return { anchors, portfolios };
}

function describe(check: PortfolioJournalCheck): string {
  const r = check.report;
  if (r.firstBreak) {
    const b = r.firstBreak;
    return `BROKEN at sequence ${b.sequence}${b.entryId ? ` (entry ${b.entryId})` : ''}: ${b.kind}: ${b.detail}`;
  }
  return `ok, ${r.entries} entries, ${r.anchorsChecked} anchors`;
}

/**
 * The verify-journal command: prints one progress line per portfolio, then the anchors of the
 * intact journals (`anchor <code>:<length>:<head MAC>`, to keep outside the database), then one
 * summary line naming the first broken link, if any. Returns the exit code.
 */
export async function verifyJournalCommand(db: Knex, keyring: JournalKeyring, args: readonly string[], io: VerifyJournalIo): Promise<number> {
  let parsed: Arguments;
  try {
    parsed = await parseArgs(args, io.readText ?? ((path) => readFile(path, 'utf8')));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`verify-journal: ${error.message}`);
    io.err(VERIFY_JOURNAL_USAGE);
    return EXIT.usage;
  }
  const { anchors, portfolios } = parsed;
  const retired = keyring.retired.length > 0 ? `, ${keyring.retired.length} retired key(s) ${keyring.retired.map((k) => k.id).join(' ')}` : '';
  io.out(`verify-journal: key ${keyring.current.id}${keyring.usingDevKey ? ' (the development key: proves nothing, set JOURNAL_KEY)' : ''}${retired}; ${anchors.length} printed anchor(s) given`);
  let checks: PortfolioJournalCheck[];
  try {
    checks = await verifyEveryJournal(db, anchors, (check, index, total) => {
      io.out(`[${index + 1}/${total}] ${check.code}: ${describe(check)}`);
    }, portfolios);
  } catch (error) {
    if (error instanceof AnchorPortfolioMissing) {
      io.out(`verify-journal: BROKEN: ${error.message}`);
      return EXIT.broken;
    }
    if (!(error instanceof InvalidInput)) throw error;
    io.err(`verify-journal: ${error.message}`);
    return EXIT.usage;
  }
  for (const check of checks) if (check.report.anchor) io.out(`anchor ${check.report.anchor}`);
  const broken = checks.filter((c) => c.report.firstBreak !== null);
  const first = broken[0];
  if (first?.report.firstBreak) {
    const b = first.report.firstBreak;
    io.out(
      `verify-journal: BROKEN: ${broken.length} of ${checks.length} journals; first broken link: portfolio ${first.code}, ` +
        `sequence ${b.sequence}${b.entryId ? ` (entry ${b.entryId})` : ''}: ${b.kind}: ${b.detail}`,
    );
    return EXIT.broken;
  }
  const entries = checks.reduce((n, c) => n + c.report.entries, 0);
  const anchorCount = checks.reduce((n, c) => n + c.report.anchorsChecked, 0);
  io.out(`verify-journal: intact: ${checks.length} journals, ${entries} entries, ${anchorCount} anchors checked`);
  return EXIT.intact;
}
