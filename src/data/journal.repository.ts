import type { Knex } from 'knex';
import type { Decimal } from '../domain/decimal';
import { chainHash } from '../domain/journal-hash';
import type { Direction, JournalEntry, JournalEntryType } from '../domain/types';
import { decimalOrNull, isUuid, numericOrNull, timestamp, type Row } from './rows';

const COLUMNS = [
  'id', 'portfolio_id', 'type', 'position_id', 'proposal_id', 'instrument_id', 'direction', 'notional_brl',
  'price', 'manager_notes', 'system_notes', 'actor', 'content_hash', 'previous_hash', 'created_at',
];

export function toJournalEntry(row: Row): JournalEntry {
  return {
    id: String(row.id),
    portfolioId: String(row.portfolio_id),
    type: row.type as JournalEntryType,
    positionId: (row.position_id as string | null) ?? null,
    proposalId: (row.proposal_id as string | null) ?? null,
    instrumentId: (row.instrument_id as string | null) ?? null,
    direction: (row.direction as Direction | null) ?? null,
    notionalBrl: decimalOrNull(row.notional_brl),
    price: decimalOrNull(row.price),
    managerNotes: (row.manager_notes as string | null) ?? null,
    systemNotes: (row.system_notes as string | null) ?? null,
    actor: String(row.actor),
    contentHash: String(row.content_hash).trim(),
    previousHash: row.previous_hash ? String(row.previous_hash).trim() : null,
    createdAt: timestamp(row.created_at),
  };
}

export interface NewJournalEntry {
  readonly type: JournalEntryType;
  readonly positionId?: string | null;
  readonly proposalId?: string | null;
  readonly instrumentId?: string | null;
  readonly direction?: Direction | null;
  readonly notionalBrl?: Decimal | null;
  readonly price?: Decimal | null;
  readonly managerNotes?: string | null;
  readonly systemNotes?: string | null;
}

/**
 * What the hash covers. Money is hashed as the string stored in the numeric column (normalized
 * by the column scale) so that recomputing from a read row gives the same hash.
 */
function hashedContent(portfolioId: string, actor: string, createdAt: Date, e: NewJournalEntry | JournalEntry) {
  return {
    portfolioId,
    type: e.type,
    positionId: e.positionId ?? null,
    proposalId: e.proposalId ?? null,
    instrumentId: e.instrumentId ?? null,
    direction: e.direction ?? null,
    notionalBrl: e.notionalBrl ? e.notionalBrl.toFixed(2) : null,
    price: e.price ? e.price.toFixed(8) : null,
    managerNotes: e.managerNotes ?? null,
    systemNotes: e.systemNotes ?? null,
    actor,
    createdAt: createdAt.toISOString(),
  };
}

async function lastHash(trx: Knex, portfolioId: string): Promise<string | null> {
  const row = await trx('journal_entries')
    .select('content_hash')
    .where({ portfolio_id: portfolioId })
    .orderBy('id', 'desc')
    .first();
  return row ? String(row.content_hash).trim() : null;
}

/**
 * Appends entries to a portfolio's journal inside the caller's transaction. A transaction-scoped
 * advisory lock per portfolio serializes appenders, so the chain never forks even when two writes
 * that do not otherwise conflict (an MTM and a reject, say) commit at the same time.
 */
export async function appendJournal(
  trx: Knex.Transaction,
  portfolioId: string,
  actor: string,
  entries: readonly NewJournalEntry[],
  now: Date,
): Promise<JournalEntry[]> {
  if (entries.length === 0) return [];
  await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`journal:${portfolioId}`]);
  let previous = await lastHash(trx, portfolioId);
  const written: JournalEntry[] = [];
  for (const e of entries) {
    // Timestamps are truncated to milliseconds: what the hash saw is exactly what the row stores.
    const createdAt = new Date(now.getTime());
    const contentHash = chainHash(previous, hashedContent(portfolioId, actor, createdAt, e));
    const [row] = await trx('journal_entries')
      .insert({
        portfolio_id: portfolioId,
        type: e.type,
        position_id: e.positionId ?? null,
        proposal_id: e.proposalId ?? null,
        instrument_id: e.instrumentId ?? null,
        direction: e.direction ?? null,
        notional_brl: numericOrNull(e.notionalBrl),
        price: numericOrNull(e.price),
        manager_notes: e.managerNotes ?? null,
        system_notes: e.systemNotes ?? null,
        actor,
        content_hash: contentHash,
        previous_hash: previous,
        created_at: createdAt,
      })
      .returning(COLUMNS);
    written.push(toJournalEntry(row as Row));
    previous = contentHash;
  }
  return written;
}

export interface ChainCheck {
  readonly entries: number;
  readonly valid: boolean;
  /** The first entry whose hash or link does not match, when invalid. */
  readonly brokenAt: string | null;
}

/** Recomputes a portfolio's hash chain from the stored rows. */
export async function verifyJournalChain(db: Knex, portfolioId: string): Promise<ChainCheck> {
  const rows: Row[] = await db('journal_entries').select(COLUMNS).where({ portfolio_id: portfolioId }).orderBy('id');
  let previous: string | null = null;
  for (const row of rows) {
    const e = toJournalEntry(row);
    const expected = chainHash(previous, hashedContent(e.portfolioId, e.actor, e.createdAt, e));
    if (e.previousHash !== previous || e.contentHash !== expected) {
      return { entries: rows.length, valid: false, brokenAt: e.id };
    }
    previous = e.contentHash;
  }
  return { entries: rows.length, valid: true, brokenAt: null };
}

export async function findJournalEntriesByIds(db: Knex, ids: readonly string[]): Promise<JournalEntry[]> {
  // Entry ids are bigint sequence numbers.
  const valid = ids.filter((id) => /^\d{1,18}$/.test(id));
  if (valid.length === 0) return [];
  return (await db('journal_entries').select(COLUMNS).whereIn('id', valid)).map(toJournalEntry);
}

export interface JournalFilter {
  readonly portfolioIds: readonly string[];
  readonly types?: readonly JournalEntryType[];
  readonly positionId?: string;
  readonly proposalId?: string;
  readonly from?: Date;
  readonly to?: Date;
  /** Keyset pagination: entries with id below this cursor (newest first). */
  readonly before?: string;
  readonly limit: number;
}

/** Newest first; fetches limit + 1 rows so the caller knows whether another page exists. */
export async function listJournal(db: Knex, f: JournalFilter): Promise<{ entries: JournalEntry[]; hasMore: boolean }> {
  // A filter on an id that cannot exist matches nothing.
  if ((f.positionId && !isUuid(f.positionId)) || (f.proposalId && !isUuid(f.proposalId))) return { entries: [], hasMore: false };
  const q = db('journal_entries').select(COLUMNS).whereIn('portfolio_id', f.portfolioIds).orderBy('id', 'desc').limit(f.limit + 1);
  if (f.types && f.types.length > 0) q.whereIn('type', f.types);
  if (f.positionId) q.andWhere('position_id', f.positionId);
  if (f.proposalId) q.andWhere('proposal_id', f.proposalId);
  if (f.from) q.andWhere('created_at', '>=', f.from);
  if (f.to) q.andWhere('created_at', '<', f.to);
  if (f.before) q.andWhere('id', '<', f.before);
  const rows = (await q).map(toJournalEntry);
  return { entries: rows.slice(0, f.limit), hasMore: rows.length > f.limit };
}
