import type { Knex } from 'knex';
import type { Decimal } from '../domain/decimal';
import { chainHash, entryMac } from '../domain/journal-hash';
import type { JournalKeyring } from '../domain/journal-hash-keys';
import {
  JournalIntegrityBroken, JournalSealRefused, verifyJournalLinks,
  type JournalAnchor, type JournalReport, type StoredJournalLink,
} from '../domain/journal-hash-verify';
import type { Direction, JournalEntry, JournalEntryType } from '../domain/types';
import { insertJournalAnchor, listJournalAnchors, type AnchorReason, type StoredAnchor } from './journal-anchor.repository';
import { journalKeyring } from './journal-keyring';
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

/** The sealing columns, beside what a reader of the journal sees. */
const LINK_COLUMNS = [...COLUMNS, 'mac', 'key_id'];

interface Link {
  readonly hash: string | null;
  readonly mac: string | null;
}

async function lastLink(trx: Knex, portfolioId: string): Promise<Link> {
  const row = await trx('journal_entries')
    .select('content_hash', 'mac')
    .where({ portfolio_id: portfolioId })
    .orderBy('id', 'desc')
    .first();
  return {
    hash: row ? String(row.content_hash).trim() : null,
    mac: row?.mac ? String(row.mac).trim() : null,
  };
}

/**
 * Sequence numbers taken before the insert: the MAC covers the entry's id, and a row cannot be
 * updated once written. Ascending in the order asked, as nextval is evaluated row by row.
 */
async function nextEntryIds(trx: Knex, count: number): Promise<string[]> {
  const rows: Row[] = await trx
    .select(trx.raw("nextval(pg_get_serial_sequence('journal_entries', 'id'))::text as id"))
    .from(trx.raw('generate_series(1, ?::int)', [count]));
  return rows.map((r) => String(r.id)).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
}

/**
 * The content a stored entry's hash and MAC cover. Public knowledge (this code is): anyone who can
 * write the table can recompute the sha256 chain with it, which is why the MAC exists.
 */
export function hashedContentOf(e: JournalEntry): Readonly<Record<string, unknown>> {
  return hashedContent(e.portfolioId, e.actor, e.createdAt, e);
}

/** The content an entry's hash and MAC cover, from a stored row. */
function linkOf(row: Row): StoredJournalLink {
  const e = toJournalEntry(row);
  return {
    id: e.id,
    content: hashedContentOf(e),
    contentHash: e.contentHash,
    previousHash: e.previousHash,
    mac: row.mac ? String(row.mac).trim() : null,
    keyId: row.key_id ? String(row.key_id) : null,
  };
}

/**
 * Appends entries to a portfolio's journal inside the caller's transaction. A transaction-scoped
 * advisory lock per portfolio serializes appenders, so the chain never forks even when two writes
 * that do not otherwise conflict (an MTM and a reject, say) commit at the same time. Each entry is
 * sealed with the current journal key (journal-keyring.ts): an HMAC chained to the previous MAC.
 */
export async function appendJournal(
  trx: Knex.Transaction,
  portfolioId: string,
  actor: string,
  entries: readonly NewJournalEntry[],
  now: Date,
): Promise<JournalEntry[]> {
  if (entries.length === 0) return [];
  await lockJournal(trx, portfolioId);
  const key = journalKeyring().current;
  let previous = await lastLink(trx, portfolioId);
  const ids = await nextEntryIds(trx, entries.length);
  const written: JournalEntry[] = [];
  for (const [index, e] of entries.entries()) {
    const id = ids[index] ?? '';
    // Timestamps are truncated to milliseconds: what the hash saw is exactly what the row stores.
    const createdAt = new Date(now.getTime());
    const content = hashedContent(portfolioId, actor, createdAt, e);
    const contentHash = chainHash(previous.hash, content);
    const mac = entryMac(key, { entryId: id, previousMac: previous.mac, content });
    const [row] = await trx('journal_entries')
      .insert({
        id,
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
        previous_hash: previous.hash,
        mac,
        key_id: key.id,
        created_at: createdAt,
      })
      .returning(COLUMNS);
    written.push(toJournalEntry(row as Row));
    previous = { hash: contentHash, mac };
  }
  return written;
}

/** Appenders and anchors of one portfolio take turns (transaction-scoped). */
async function lockJournal(trx: Knex, portfolioId: string): Promise<void> {
  await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`journal:${portfolioId}`]);
}

export interface ChainCheck {
  readonly entries: number;
  readonly valid: boolean;
  /** The first entry whose hash, link or MAC does not match, when invalid. */
  readonly brokenAt: string | null;
}

/**
 * Verifies a portfolio's journal: the sha256 chain, the keyed MAC chain, and every anchor stored in
 * journal_anchors plus the `external` ones given (kept outside the database by an operator).
 */
export async function verifyJournal(
  db: Knex,
  portfolioId: string,
  external: readonly JournalAnchor[] = [],
  keyring: JournalKeyring = journalKeyring(),
): Promise<JournalReport> {
  const rows: Row[] = await db('journal_entries').select(LINK_COLUMNS).where({ portfolio_id: portfolioId }).orderBy('id');
  const stored = await listJournalAnchors(db, portfolioId);
  return verifyJournalLinks(rows.map(linkOf), [...stored, ...external], keyring);
}

/** verifyJournal in short: valid or not, and the entry where it breaks. */
export async function verifyJournalChain(db: Knex, portfolioId: string): Promise<ChainCheck> {
  const report = await verifyJournal(db, portfolioId);
  return { entries: report.entries, valid: report.firstBreak === null, brokenAt: report.firstBreak?.entryId ?? null };
}

/**
 * Anchors a portfolio's journal as it stands in the caller's transaction, after verifying it whole:
 * an anchor of a broken chain would bless it, so a broken chain refuses (JournalIntegrityBroken)
 * and the caller's transaction with it. Holds the appenders' lock, so the head cannot move meanwhile.
 */
export async function anchorJournal(trx: Knex.Transaction, portfolioId: string, now: Date, reason: AnchorReason = 'MORNING_PACK'): Promise<StoredAnchor> {
  await lockJournal(trx, portfolioId);
  const keyring = journalKeyring();
  const report = await verifyJournal(trx, portfolioId, [], keyring);
  if (report.firstBreak) throw new JournalIntegrityBroken(portfolioId, report.firstBreak);
  return insertJournalAnchor(trx, keyring, {
    portfolioId,
    length: report.entries,
    headEntryId: report.head?.entryId ?? null,
    headMac: report.head?.mac ?? null,
    createdAt: now,
  }, reason);
}

/**
 * Seals, once, the entries written before the keyed chain existed (run by its migration, as the
 * table's owner, with the configured key). Only a portfolio none of whose entries has a MAC yet is
 * sealed, and only when its sha256 chain verifies: sealing blesses what is there, so a broken
 * chain refuses (JournalSealRefused) and the migration with it. The trigger is disabled for these
 * UPDATEs only, inside the migration's transaction. Returns the number of entries sealed.
 * `portfolioIds` limits it to those portfolios (tests; the migration seals every one).
 */
export async function sealLegacyJournal(trx: Knex.Transaction, keyring: JournalKeyring, now: Date, portfolioIds?: readonly string[]): Promise<number> {
  const q = trx('journal_entries').distinct('portfolio_id').whereNull('mac').orderBy('portfolio_id');
  if (portfolioIds) q.whereIn('portfolio_id', portfolioIds);
  const pending: Row[] = await q;
  if (pending.length === 0) return 0;
  await trx.raw('alter table journal_entries disable trigger trg_journal_entries_append_only');
  const key = keyring.current;
  let sealed = 0;
  for (const { portfolio_id: portfolioId } of pending) {
    const links = (await trx('journal_entries').select(LINK_COLUMNS).where({ portfolio_id: portfolioId }).orderBy('id')).map(linkOf);
    let previous: Link = { hash: null, mac: null };
    for (const [index, link] of links.entries()) {
      const refuse = (why: string) => new JournalSealRefused(String(portfolioId), index + 1, link.id, why);
      if (link.mac !== null) throw refuse('the portfolio already has sealed entries: a missing MAC is a break, not a legacy entry');
      if (link.previousHash !== previous.hash) throw refuse('previous_hash does not match the entry before it');
      if (chainHash(link.previousHash, link.content) !== link.contentHash) throw refuse('the content does not give its content_hash');
      const mac = entryMac(key, { entryId: link.id, previousMac: previous.mac, content: link.content });
      await trx('journal_entries').where({ id: link.id }).update({ mac, key_id: key.id });
      previous = { hash: link.contentHash, mac };
      sealed += 1;
    }
    const head = links.at(-1);
    await insertJournalAnchor(trx, keyring, {
      portfolioId: String(portfolioId), length: links.length, headEntryId: head?.id ?? null, headMac: previous.mac, createdAt: now,
    }, 'SEAL');
  }
  await trx.raw('alter table journal_entries enable trigger trg_journal_entries_append_only');
  return sealed;
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
