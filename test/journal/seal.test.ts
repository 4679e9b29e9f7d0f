import type { Knex } from 'knex';
import { hashedContentOf, sealLegacyJournal, toJournalEntry, verifyJournal } from '../../src/data/journal.repository';
import { journalKeyring } from '../../src/data/journal-keyring';
import { chainHash } from '../../src/domain/journal-hash';
import { testDb } from '../support/db';
import { countRows, createPortfolio } from '../support/factories';
import { journalRows } from './support';

/**
 * Entries written before the keyed chain existed (no MAC) are sealed once by its migration, with
 * the configured key, and only if their sha256 chain verifies. Here on portfolios of this suite
 * (the migration itself seals every portfolio, once).
 */
const db = testDb();
afterAll(() => db.destroy());

/** Writes `n` entries as the gateway did before MACs: sha256 chain only, mac and key_id null. */
async function legacyJournal(n: number, tamper?: (index: number, row: Record<string, unknown>) => void): Promise<string> {
  const portfolio = await createPortfolio(db);
  let previous: string | null = null;
  for (let i = 0; i < n; i += 1) {
    const row: Record<string, unknown> = {
      portfolio_id: portfolio.id, type: 'NOTE', manager_notes: `legacy ${i}`, actor: 'legacy@fund',
      created_at: new Date(Date.UTC(2026, 10, 2 + i, 12)),
    };
    const contentHash = chainHash(previous, hashedContentOf(toJournalEntry({ ...row, id: 0, content_hash: '', previous_hash: previous })));
    tamper?.(i, row);
    await db('journal_entries').insert({ ...row, content_hash: contentHash, previous_hash: previous });
    previous = contentHash;
  }
  return portfolio.id;
}

const seal = (ids: string[]) => db.transaction((trx: Knex.Transaction) => sealLegacyJournal(trx, journalKeyring(), new Date(), ids));

describe('sealing legacy entries', () => {
  it('seals an intact legacy chain once, anchors it, and it verifies from then on', async () => {
    const id = await legacyJournal(4);
    expect((await verifyJournal(db, id)).firstBreak).toMatchObject({ kind: 'MAC_MISSING', sequence: 1 });
    expect(await seal([id])).toBe(4);
    const rows = await journalRows(db, id);
    expect(rows.map((r) => r.key_id)).toEqual(Array(4).fill(journalKeyring().current.id));
    expect(await countRows(db, 'journal_anchors', { portfolio_id: id, reason: 'SEAL', length: 4 })).toBe(1);
    expect(await verifyJournal(db, id)).toMatchObject({ entries: 4, anchorsChecked: 1, firstBreak: null });
    // The trigger is back: the sealed rows are append-only again.
    await expect(db('journal_entries').where({ portfolio_id: id }).update({ mac: null })).rejects.toThrow(/append-only/);
    expect(await seal([id])).toBe(0);
  });

  it('refuses to seal a legacy chain that does not verify, naming where, and seals nothing', async () => {
    const id = await legacyJournal(3, (i, row) => {
      if (i === 1) row.manager_notes = 'edited before sealing';
    });
    await expect(seal([id])).rejects.toMatchObject({ code: 'JOURNAL_SEAL_REFUSED', details: { sequence: 2 } });
    expect(await countRows(db, 'journal_anchors', { portfolio_id: id })).toBe(0);
    expect((await journalRows(db, id)).every((r) => r.mac === null)).toBe(true);
  });

  it('never seals entries appended without a MAC after the keyed chain started (a stripped MAC stays a break)', async () => {
    const id = await legacyJournal(2);
    await seal([id]);
    const [last] = (await journalRows(db, id)).slice(-1);
    const contentHash = chainHash(String(last?.content_hash).trim(), { anything: 'else' });
    await db('journal_entries').insert({ portfolio_id: id, type: 'NOTE', manager_notes: 'late', actor: 'old-gateway', content_hash: contentHash, previous_hash: String(last?.content_hash).trim() });
    await expect(seal([id])).rejects.toMatchObject({ code: 'JOURNAL_SEAL_REFUSED', details: { sequence: 1 } });
  });
});
