import { JournalIntegrityDocument } from '../../client/generated/graphql';
import { fixedClock } from '../support/clock';
import { testDb } from '../support/db';
import { startTestGateway, codes, type TestGateway } from '../support/gateway';
import { countRows } from '../support/factories';
import {
  admin, anchorByMorningPack, appendNotes, asSuperuserBypassingTriggers, deleteNewest, editAndRehash, journalOf, journalRows,
} from './support';

/**
 * The keyed journal against the database superuser: every tampering here bypasses the append-only
 * trigger (session_replication_role = replica) as a superuser can, and is found both by the
 * repository's verify and by the journalIntegrity query a client sends over HTTP.
 */
const db = testDb();
const clock = fixedClock('2026-11-20T15:00:00Z');
let gateway: TestGateway;
let token: string;

beforeAll(async () => {
  gateway = await startTestGateway(db, clock);
  token = gateway.token(admin);
});
afterAll(async () => {
  await gateway.stop();
  await db.destroy();
});

async function integrity(portfolioId: string, anchors?: string[]) {
  const response = await gateway.execute(JournalIntegrityDocument, { portfolioId, anchors }, token);
  expect(response.errors).toBeUndefined();
  return response.data!.journalIntegrity;
}

describe('an intact journal', () => {
  it('is valid with its MACs and morning-pack anchors, and its printed anchor checks back', async () => {
    const { portfolio } = await journalOf(db, clock, 3);
    await anchorByMorningPack(db, clock, portfolio.id);
    const rows = await journalRows(db, portfolio.id);
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(String(r.mac)) && /^k[0-9a-f]{16}$/.test(String(r.key_id)))).toBe(true);
    expect(await countRows(db, 'journal_anchors', { portfolio_id: portfolio.id, reason: 'MORNING_PACK', length: 4 })).toBe(1);

    const first = await integrity(portfolio.code);
    expect(first).toMatchObject({ entries: 4, valid: true, brokenAt: null, firstBreak: null, anchorsChecked: 1 });
    expect(first.anchor).toBe(`${portfolio.code}:4:${String(rows[3]?.mac)}`);
    // The anchor kept outside the database is checked too (one stored + one given).
    expect(await integrity(portfolio.code, [first.anchor!])).toMatchObject({ valid: true, anchorsChecked: 2 });
  });

  it('refuses a malformed anchor, or one of another portfolio, as bad input', async () => {
    const { portfolio } = await journalOf(db, clock, 0);
    const other = await journalOf(db, clock, 0);
    const mac = (await journalRows(db, other.portfolio.id))[0]?.mac as string;
    for (const anchor of [`${portfolio.code}:1`, `${other.portfolio.code}:1:${mac}`]) {
      const response = await gateway.execute(JournalIntegrityDocument, { portfolioId: portfolio.code, anchors: [anchor] }, token);
      expect(codes(response)).toEqual(['BAD_USER_INPUT']);
    }
  });
});

describe('an entry edited, and every later entry re-hashed with sha256 (no key)', () => {
  it('is found at the edited entry as MAC_MISMATCH, though the hash chain alone holds', async () => {
    const { portfolio } = await journalOf(db, clock, 4);
    const before = await journalRows(db, portfolio.id);
    await editAndRehash(db, portfolio.id, 2, 'it was always a hedge');

    const after = await journalRows(db, portfolio.id);
    // The attack was carried out: the edit is stored and every hash from it on changed.
    expect(after[1]?.manager_notes).toBe('it was always a hedge');
    expect(after.slice(1).every((r, i) => r.content_hash !== before[i + 1]?.content_hash)).toBe(true);
    expect(after[0]?.content_hash).toBe(before[0]?.content_hash);
    // And the sha256 chain alone is consistent again: each link names the hash before it.
    after.slice(1).forEach((r, i) => expect(r.previous_hash).toBe(after[i]?.content_hash));

    const report = await integrity(portfolio.code);
    expect(report).toMatchObject({
      entries: 5, valid: false, brokenAt: String(after[1]?.id), anchor: null,
      firstBreak: { kind: 'MAC_MISMATCH', sequence: 2, entryId: String(after[1]?.id) },
    });
    expect(report.firstBreak?.detail).toMatch(/re-hashed without the journal key/);
  });

  it('makes the next morning pack refuse to anchor it, and leaves no pack', async () => {
    const { portfolio } = await journalOf(db, clock, 2);
    await editAndRehash(db, portfolio.id, 3, 'rewritten');
    await expect(anchorByMorningPack(db, clock, portfolio.id)).rejects.toMatchObject({
      code: 'JOURNAL_INTEGRITY_BROKEN', details: { sequence: 3, kind: 'MAC_MISMATCH' },
    });
    expect(await countRows(db, 'morning_packs', { portfolio_id: portfolio.id })).toBe(0);
    expect(await countRows(db, 'journal_anchors', { portfolio_id: portfolio.id })).toBe(0);
  });

  it('is found as CONTENT_EDITED when the attacker did not even re-hash', async () => {
    const { portfolio } = await journalOf(db, clock, 2);
    const [, second] = await journalRows(db, portfolio.id);
    await asSuperuserBypassingTriggers(db, (trx) => trx('journal_entries').where({ id: second?.id }).update({ manager_notes: 'edited' }));
    expect((await integrity(portfolio.code)).firstBreak).toMatchObject({ kind: 'CONTENT_EDITED', sequence: 2 });
  });
});

describe('the newest entries deleted', () => {
  it('are found against the morning-pack anchor as TAIL_MISSING', async () => {
    const { portfolio, positionId } = await journalOf(db, clock, 3);
    await anchorByMorningPack(db, clock, portfolio.id); // anchors 4 entries
    await appendNotes(db, clock, positionId, 1);
    // Without the anchor the truncated chain would pass: it is a valid prefix, MACs and all.
    await deleteNewest(db, portfolio.id, 3);
    const rows = await journalRows(db, portfolio.id);
    expect(rows).toHaveLength(2);

    const report = await integrity(portfolio.code);
    expect(report).toMatchObject({ entries: 2, valid: false, brokenAt: null, firstBreak: { kind: 'TAIL_MISSING', sequence: 3, entryId: null } });
    expect(report.firstBreak?.detail).toMatch(/recorded 4 entries, the journal has 2: entries 3\.\.4 were deleted/);
  });

  it('are found against a printed anchor when the stored anchors were deleted as well', async () => {
    const { portfolio, positionId } = await journalOf(db, clock, 2);
    await anchorByMorningPack(db, clock, portfolio.id);
    await appendNotes(db, clock, positionId, 2);
    const printed = (await integrity(portfolio.code)).anchor!;
    expect(printed).toMatch(new RegExp(`^${portfolio.code}:5:[0-9a-f]{64}$`));

    await deleteNewest(db, portfolio.id, 2, { anchorsToo: true });
    expect(await countRows(db, 'journal_anchors', { portfolio_id: portfolio.id })).toBe(0);
    // With nothing left in the database to contradict it, the prefix verifies...
    expect(await integrity(portfolio.code)).toMatchObject({ entries: 3, valid: true, anchorsChecked: 0 });
    // ...and the anchor kept outside the database does not.
    expect((await integrity(portfolio.code, [printed])).firstBreak).toMatchObject({ kind: 'TAIL_MISSING', sequence: 4 });
  });
});
