import { journalKeyring } from '../../src/data/journal-keyring';
import { verifyJournalCommand } from '../../src/server/verify-journal';
import { fixedClock } from '../support/clock';
import { testDb } from '../support/db';
import { anchorByMorningPack, appendNotes, deleteNewest, editAndRehash, journalOf, journalRows } from './support';

/**
 * The verify-journal command, run through its main function with its output captured. Each case
 * names its own portfolios (--portfolio): the test database holds the other suites' journals, and
 * this suite's deliberately broken ones.
 */
const db = testDb();
const clock = fixedClock('2026-11-20T15:00:00Z');
afterAll(() => db.destroy());

async function run(args: string[], files: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await verifyJournalCommand(db, journalKeyring(), args, {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    readText: (path) => (path in files ? Promise.resolve(files[path] ?? '') : Promise.reject(new Error('ENOENT'))),
  });
  return { code, out, err, last: out.at(-1) ?? '' };
}

describe('verify-journal', () => {
  it('exits 0 with a one-line summary and prints the anchors when every journal is intact', async () => {
    const a = await journalOf(db, clock, 2);
    const b = await journalOf(db, clock, 0);
    await anchorByMorningPack(db, clock, a.portfolio.id);
    const result = await run(['--portfolio', a.portfolio.code, '--portfolio', b.portfolio.id]);
    expect(result.code).toBe(0);
    expect(result.err).toEqual([]);
    expect(result.last).toBe('verify-journal: intact: 2 journals, 4 entries, 1 anchors checked');
    const headA = String((await journalRows(db, a.portfolio.id)).at(-1)?.mac);
    expect(result.out).toContain(`anchor ${a.portfolio.code}:3:${headA}`);
    expect(result.out.filter((l) => /^\[\d\/2\] /.test(l))).toHaveLength(2);
  });

  it('exits 1 naming the first broken link (portfolio, sequence, what) of an edited and re-hashed journal', async () => {
    const intact = await journalOf(db, clock, 1);
    const { portfolio } = await journalOf(db, clock, 3);
    await editAndRehash(db, portfolio.id, 3, 'rewritten');
    const entryId = String((await journalRows(db, portfolio.id))[2]?.id);
    const result = await run(['--portfolio', intact.portfolio.code, '--portfolio', portfolio.code]);
    expect(result.code).toBe(1);
    // Portfolios are walked in code order, and the codes are random: either may come first.
    expect(result.out).toContainEqual(expect.stringMatching(new RegExp(`^\\[[12]/2\\] ${portfolio.code}: BROKEN at sequence 3 \\(entry ${entryId}\\): MAC_MISMATCH: `)));
    expect(result.out).toContainEqual(expect.stringMatching(new RegExp(`^\\[[12]/2\\] ${intact.portfolio.code}: ok, 2 entries, 0 anchors$`)));
    expect(result.out.join('\n')).toContain('MAC_MISMATCH: the hash chain holds but the MAC does not: content or order rewritten and re-hashed without the journal key');
    expect(result.last).toMatch(new RegExp(`^verify-journal: BROKEN: 1 of 2 journals; first broken link: portfolio ${portfolio.code}, sequence 3 \\(entry ${entryId}\\): MAC_MISMATCH: `));
    // The intact journal's anchor is still printed; the broken one's is not.
    expect(result.out.filter((l) => l.startsWith('anchor '))).toEqual([expect.stringMatching(new RegExp(`^anchor ${intact.portfolio.code}:2:`))]);
  });

  it('exits 1 on deleted newest entries, against the stored anchor and against printed anchors given back', async () => {
    const { portfolio, positionId } = await journalOf(db, clock, 2);
    await anchorByMorningPack(db, clock, portfolio.id);
    await appendNotes(db, clock, positionId, 2);
    const printed = await run(['--portfolio', portfolio.code]);
    expect(printed.code).toBe(0);

    await deleteNewest(db, portfolio.id, 3);
    const stored = await run(['--portfolio', portfolio.code]);
    expect(stored.code).toBe(1);
    expect(stored.last).toMatch(new RegExp(`first broken link: portfolio ${portfolio.code}, sequence 3: TAIL_MISSING: the anchor of .* recorded 3 entries, the journal has 2`));

    // The whole earlier output, saved to a file, is what the operator passes back.
    const file = { 'anchors.txt': printed.out.join('\n') };
    const given = await run(['--portfolio', portfolio.code, '--anchors', 'anchors.txt'], file);
    expect(given.code).toBe(1);
    expect(given.out[0]).toMatch(/1 printed anchor\(s\) given$/);
    expect(given.last).toMatch(/sequence 3: TAIL_MISSING: /);
  });

  it('exits 1 when the stored anchors went with the tail, on the anchor given with --anchor', async () => {
    const { portfolio, positionId } = await journalOf(db, clock, 1);
    await appendNotes(db, clock, positionId, 1);
    const anchorLine = (await run(['--portfolio', portfolio.code])).out.find((l) => l.startsWith('anchor '))!;
    await deleteNewest(db, portfolio.id, 1, { anchorsToo: true });
    expect((await run(['--portfolio', portfolio.code])).code).toBe(0);
    const result = await run(['--portfolio', portfolio.code, '--anchor', anchorLine.slice('anchor '.length)]);
    expect(result.code).toBe(1);
    expect(result.last).toMatch(/sequence 3: TAIL_MISSING: the external anchor recorded 3 entries, the journal has 2: entries 3\.\.3 were deleted/);
  });

  it('exits 1 when an anchor names a portfolio the database no longer has', async () => {
    const { portfolio } = await journalOf(db, clock, 0);
    const result = await run(['--portfolio', portfolio.code, '--anchor', `GONE_FUND:4:${'a'.repeat(64)}`]);
    expect(result.code).toBe(1);
    expect(result.last).toMatch(/^verify-journal: BROKEN: an anchor names portfolio GONE_FUND/);
  });

  it('exits 2 with the usage on bad arguments', async () => {
    for (const args of [['--anchor', 'X:1'], ['--anchors', 'missing.txt'], ['--frobnicate'], ['--anchor'], ['--portfolio', 'NO_SUCH_FUND']]) {
      const result = await run(args);
      expect([args, result.code]).toEqual([args, 2]);
      expect(result.err[0]).toMatch(/^verify-journal: /);
    }
  });
});
