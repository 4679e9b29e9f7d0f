import type { Knex } from 'knex';
import { InvalidInput } from '../domain/errors';
import type { JournalEntry, JournalEntryType } from '../domain/types';
import { listJournal, verifyJournalChain, type ChainCheck } from '../data/journal.repository';
import type { Actor } from './access';
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
export async function journalPage(db: Knex, actor: Actor, q: JournalQuery): Promise<JournalPage> {
  const first = q.first ?? 50;
  if (!Number.isInteger(first) || first < 1 || first > JOURNAL_PAGE_MAX) {
    throw new InvalidInput('first', `first must be between 1 and ${JOURNAL_PAGE_MAX}`);
  }
  if (q.after != null && !/^\d{1,18}$/.test(q.after)) throw new InvalidInput('after', 'after must be a cursor returned by a previous page');
  const portfolio = await readablePortfolio(db, actor, q.portfolioId);
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

export async function journalIntegrity(db: Knex, actor: Actor, portfolioRef: string): Promise<ChainCheck> {
  const portfolio = await readablePortfolio(db, actor, portfolioRef);
  return verifyJournalChain(db, portfolio.id);
}
