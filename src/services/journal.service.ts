import type { Knex } from 'knex';
import { InvalidInput } from '../domain/errors';
import type { JournalEntry, JournalEntryType } from '../domain/types';
import { formatAnchor, parseAnchor, type JournalAnchor, type JournalReport, type PrintedAnchor } from '../domain/journal-hash-verify';
import { listJournal, verifyJournal } from '../data/journal.repository';
import { listPortfolios } from '../data/portfolio.repository';
import type { Actor } from './access';
import type { ReadDeps } from './deps';
import { readablePortfolio } from './portfolios.service';

export interface JournalQuery {
  readonly portfolioId: string;
  readonly types?: readonly JournalEntryType[] | null;
  readonly positionId?: string | null;
  readonly proposalId?: string | null;
  readonly from?: Date | null;
  readonly to?: Date | null;
  /** Page size, 1..200. */
  readonly first?: number | null;
  /** The endCursor of the previous page. */
  readonly after?: string | null;
}

export interface JournalPage {
  readonly entries: readonly JournalEntry[];
  readonly hasNextPage: boolean;
  readonly endCursor: string | null;
}

export const JOURNAL_PAGE_MAX = 200;

/** Newest first, keyset-paginated on the entry id (stable under concurrent appends). */
export async function journalPage(deps: ReadDeps, actor: Actor, q: JournalQuery): Promise<JournalPage> {
  const { db } = deps;
  const first = q.first ?? 50;
  if (!Number.isInteger(first) || first < 1 || first > JOURNAL_PAGE_MAX) {
    throw new InvalidInput('first', `first must be between 1 and ${JOURNAL_PAGE_MAX}`);
  }
  if (q.after != null && !/^\d{1,18}$/.test(q.after)) throw new InvalidInput('after', 'after must be a cursor returned by a previous page');
  const portfolio = await readablePortfolio(deps.portfolios, actor, q.portfolioId);
  const { entries, hasMore } = await listJournal(db, {
    portfolioIds: [portfolio.id],
    types: q.types ?? undefined,
    positionId: q.positionId ?? undefined,
    proposalId: q.proposalId ?? undefined,
    from: q.from ?? undefined,
    to: q.to ?? undefined,
    before: q.after ?? undefined,
    limit: first,
  });
  return { entries, hasNextPage: hasMore, endCursor: entries.at(-1)?.id ?? null };
}

export interface JournalIntegrityReport extends JournalReport {
  readonly valid: boolean;
  /** The first broken entry's id (firstBreak.entryId), kept for clients of the first version. */
  readonly brokenAt: string | null;
  /** `<code>:<length>:<head MAC>`: the state to keep outside the database (null when broken). */
  readonly anchor: string | null;
}

/**
 * Verifies a portfolio's journal: the hash chain, the keyed MAC chain, the anchors stored with each
 * morning pack, and `anchors` (as verify-journal prints them) that the caller kept elsewhere.
 */
export async function journalIntegrity(
  deps: ReadDeps,
  actor: Actor,
  portfolioRef: string,
  anchors: readonly string[] = [],
): Promise<JournalIntegrityReport> {
  const { db } = deps;
  const portfolio = await readablePortfolio(deps.portfolios, actor, portfolioRef);
  const external = anchors.map((text, i): JournalAnchor => {
    const parsed = parseAnchor(text);
    if (!parsed) throw new InvalidInput(`anchors[${i}]`, 'an anchor is <portfolio>:<length>:<head MAC>, as verify-journal prints it');
    if (parsed.portfolio !== portfolio.code && parsed.portfolio !== portfolio.id) {
      throw new InvalidInput(`anchors[${i}]`, 'the anchor is of another portfolio');
    }
    return { source: 'external', portfolioId: portfolio.id, length: parsed.length, headMac: parsed.headMac };
  });
  const report = await verifyJournal(db, portfolio.id, external);
  return integrityOf(report, portfolio.code);
}

export function integrityOf(report: JournalReport, portfolioCode: string): JournalIntegrityReport {
  const valid = report.firstBreak === null;
  return {
    ...report,
    valid,
    brokenAt: report.firstBreak?.entryId ?? null,
    anchor: valid ? formatAnchor(portfolioCode, report.entries, report.head?.mac ?? null) : null,
  };
}

/** One portfolio's verdict in a walk of every journal (verify-journal). */
export interface PortfolioJournalCheck {
  readonly portfolioId: string;
  readonly code: string;
  readonly report: JournalIntegrityReport;
}

/** An anchor names a portfolio that is not walked: absent (its journal went with it) or not selected. */
export class AnchorPortfolioMissing extends InvalidInput {
  constructor(readonly portfolio: string) {
    super('anchor', `an anchor names portfolio ${portfolio}, which this database does not have (or is not selected)`);
  }
}

/**
 * Verifies every portfolio's journal (or those of `only`, ids or codes) in code order, each
 * against its stored anchors and the printed anchors given for it (by id or code); `progress` hears
 * each verdict as it comes. An operator's tool, not a request: no entitlement check.
 */
export async function verifyEveryJournal(
  db: Knex,
  anchors: readonly PrintedAnchor[],
  progress: (check: PortfolioJournalCheck, index: number, total: number) => void = () => undefined,
  only?: readonly string[],
): Promise<PortfolioJournalCheck[]> {
  const all = await listPortfolios(db);
  const missing = only?.find((ref) => !all.some((p) => p.id === ref || p.code === ref));
  if (missing) throw new InvalidInput('portfolio', `no portfolio ${missing}`);
  const portfolios = only ? all.filter((p) => only.includes(p.id) || only.includes(p.code)) : all;
  const known = new Set(portfolios.flatMap((p) => [p.id, p.code]));
  const stray = anchors.find((a) => !known.has(a.portfolio));
  if (stray) throw new AnchorPortfolioMissing(stray.portfolio);
  const checks: PortfolioJournalCheck[] = [];
  for (const [index, p] of portfolios.entries()) {
    const external = anchors
      .filter((a) => a.portfolio === p.id || a.portfolio === p.code)
      .map((a): JournalAnchor => ({ source: 'external', portfolioId: p.id, length: a.length, headMac: a.headMac }));
    const check = { portfolioId: p.id, code: p.code, report: integrityOf(await verifyJournal(db, p.id, external), p.code) };
    progress(check, index, portfolios.length);
    checks.push(check);
  }
  return checks;
}
