import type { Knex } from 'knex';
import { hashedContentOf, toJournalEntry } from '../../src/data/journal.repository';
import type { Row } from '../../src/data/rows';
import { dec } from '../../src/domain/decimal';
import { chainHash } from '../../src/domain/journal-hash';
import type { Clock } from '../../src/domain/dates';
import type { Portfolio } from '../../src/domain/types';
import { generateMorningPack } from '../../src/services/morning-pack.service';
import { openPosition, recordOutcome } from '../../src/services/positions.service';
import { actor, createInstrument, createPortfolio, recordingDeps } from '../support/factories';

export const admin = actor('ADMIN');

/** A fresh portfolio whose journal has `notes + 1` entries: an OPEN and `notes` NOTEs on it. */
export async function journalOf(db: Knex, clock: Clock, notes: number): Promise<{ portfolio: Portfolio; positionId: string }> {
  const portfolio = await createPortfolio(db);
  const instrument = await createInstrument(db, 'DI1', 'RATES', 'PU');
  const deps = recordingDeps(db, clock);
  const position = await openPosition(deps, admin, {
    portfolioId: portfolio.id, ticker: instrument.ticker, direction: 'LONG', notionalBrl: dec('1000000'),
    entryPrice: dec('95000'), entryFxRate: dec(5), thesis: 'Receive the front end',
  });
  await appendNotes(db, clock, position.id, notes);
  return { portfolio, positionId: position.id };
}

export async function appendNotes(db: Knex, clock: Clock, positionId: string, notes: number): Promise<void> {
  for (let i = 0; i < notes; i += 1) {
    await recordOutcome(recordingDeps(db, clock), admin, { positionId, notes: `lesson ${i} of ${positionId.slice(0, 8)}` });
  }
}

/** Generates (again) today's morning pack, which anchors the journal in journal_anchors. */
export function anchorByMorningPack(db: Knex, clock: Clock, portfolioId: string) {
  return generateMorningPack(recordingDeps(db, clock), admin, { portfolioId, force: true });
}

/**
 * Runs `work` as the database superuser past every trigger (append-only included), as an attacker
 * with the superuser's password can: session_replication_role = replica, for this transaction only.
 */
export function asSuperuserBypassingTriggers<T>(db: Knex, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return db.transaction(async (trx) => {
    await trx.raw('set local session_replication_role = replica');
    return work(trx);
  });
}

export async function journalRows(db: Knex, portfolioId: string): Promise<Row[]> {
  return db('journal_entries').where({ portfolio_id: portfolioId }).orderBy('id');
}

/**
 * The attack the hash chain alone cannot see: edit the entry at `sequence` (1-based), then recompute
 * every later sha256 and previous_hash with the public hashing code. The MACs stay as they were:
 * the attacker has no JOURNAL_KEY.
 */
export async function editAndRehash(db: Knex, portfolioId: string, sequence: number, managerNotes: string): Promise<void> {
  await asSuperuserBypassingTriggers(db, async (trx) => {
    const rows = await journalRows(trx, portfolioId);
    let previous: string | null = sequence > 1 ? String(rows[sequence - 2]?.content_hash).trim() : null;
    for (const [index, row] of rows.entries()) {
      if (index < sequence - 1) continue;
      const edited = index === sequence - 1 ? { ...row, manager_notes: managerNotes } : row;
      const contentHash = chainHash(previous, hashedContentOf(toJournalEntry(edited)));
      await trx('journal_entries').where({ id: row.id }).update({ manager_notes: edited.manager_notes, previous_hash: previous, content_hash: contentHash });
      previous = contentHash;
    }
  });
}

/** Deletes the `count` newest entries of a portfolio's journal (and, if asked, its stored anchors). */
export async function deleteNewest(db: Knex, portfolioId: string, count: number, options: { anchorsToo?: boolean } = {}): Promise<void> {
  await asSuperuserBypassingTriggers(db, async (trx) => {
    const newest = await trx('journal_entries').where({ portfolio_id: portfolioId }).orderBy('id', 'desc').limit(count).pluck('id');
    expect(newest).toHaveLength(count);
    await trx('journal_entries').whereIn('id', newest).delete();
    if (options.anchorsToo) await trx('journal_anchors').where({ portfolio_id: portfolioId }).delete();
  });
}
