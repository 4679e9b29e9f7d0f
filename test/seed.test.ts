import type { Knex } from 'knex';
import { listJournal, verifyJournalChain } from '../src/data/journal.repository';
import { listPositions } from '../src/data/position.repository';
import { listProposals } from '../src/data/proposal.repository';
import { seedDemo } from '../src/data/seeds/demo';
import { dailyPnlSeries, listSnapshots } from '../src/data/snapshot.repository';
import { isWeekend } from '../src/domain/dates';
import { sum } from '../src/domain/decimal';
import { costBpsFor, transactionCost } from '../src/domain/pricing';
import { JOURNAL_ENTRY_TYPES } from '../src/domain/types';
import { testDb } from './support/db';
import { DEMO_AS_OF } from './support/demo';
import { uid } from './support/factories';

const AS_OF = DEMO_AS_OF;
const ALL_TIME = { from: '1900-01-01', to: AS_OF };

async function seedFresh(db: Knex): Promise<{ code: string; id: string }> {
  const code = `SEED_${uid()}`;
  const result = await seedDemo(db, { asOf: AS_OF, portfolioCode: code });
  const [id] = result.portfolioIds;
  if (result.skipped || id === undefined) throw new Error(`seeding ${code} did not write a portfolio`);
  return { code, id };
}

describe('seedDemo', () => {
  let db: Knex;
  let first: { code: string; id: string };
  let second: { code: string; id: string };

  beforeAll(async () => {
    db = testDb();
    first = await seedFresh(db);
    second = await seedFresh(db);
  }, 60_000);

  afterAll(async () => {
    await db.destroy();
  });

  it('gives two fresh portfolio codes the same daily P&L series', async () => {
    const a = await dailyPnlSeries(db, first.id, { to: AS_OF });
    const b = await dailyPnlSeries(db, second.id, { to: AS_OF });
    expect(a.length).toBeGreaterThan(0);
    expect(b.map((d) => [d.date, d.pnlBrl.toFixed(2)])).toEqual(a.map((d) => [d.date, d.pnlBrl.toFixed(2)]));
  });

  it('writes at least 60 business days of P&L snapshots ending at asOf', async () => {
    const series = await dailyPnlSeries(db, first.id, { to: AS_OF });
    expect(series.length).toBeGreaterThanOrEqual(60);
    expect(series.every((d) => !isWeekend(d.date))).toBe(true);
    expect(series[series.length - 1]?.date).toBe(AS_OF);
  });

  it('makes daily P&L of a realistic size for a 100M fund', async () => {
    const pnl = (await dailyPnlSeries(db, first.id, { to: AS_OF })).map((d) => Math.abs(d.pnlBrl.toNumber()));
    expect(Math.max(...pnl)).toBeGreaterThan(100_000);
    expect(Math.max(...pnl)).toBeLessThan(3_000_000);
  });

  it('sums the daily P&L of every closed position to exactly its realized P&L', async () => {
    const closed = await listPositions(db, { portfolioIds: [first.id], isOpen: false });
    const snapshots = await listSnapshots(db, first.id, ALL_TIME);
    expect(closed.length).toBe(2);
    for (const p of closed) {
      const own = snapshots.filter((s) => s.positionId === p.id);
      expect(sum(own.map((s) => s.dailyPnlBrl)).toFixed(4)).toBe(p.realizedPnlBrl.toFixed(4));
      expect(own[own.length - 1]?.date).toBe(p.closedAt);
      expect(own[own.length - 1]?.unrealizedPnlBrl.isZero()).toBe(true);
      // Entry and exit are both charged, at the same notional and bps.
      expect(p.transactionCostBrl.toFixed(2)).toBe(transactionCost(p.notionalBrl, costBpsFor(p.ticker)).times(2).toFixed(2));
    }
  });

  it('marks open positions at asOf, with the DI1 receiver priced as a PU from its rate', async () => {
    const open = await listPositions(db, { portfolioIds: [first.id], isOpen: true });
    const tickers = open.map((p) => p.ticker);
    expect(tickers).toEqual(expect.arrayContaining(['DI1F28', 'USDBRL', 'IBOV_FUT', 'CDS_BR_5Y']));
    expect(open.every((p) => p.lastMarkDate === AS_OF)).toBe(true);
    const di1 = open.find((p) => p.ticker === 'DI1F28');
    expect(di1?.direction).toBe('LONG');
    expect(di1?.ratePct?.toNumber()).toBeGreaterThanOrEqual(10);
    expect(di1?.ratePct?.toNumber()).toBeLessThanOrEqual(12);
    expect(di1?.businessDays).toBeGreaterThan(0);
    expect(di1?.entryPrice.toNumber()).toBeGreaterThan(80_000);
    expect(di1?.entryPrice.toNumber()).toBeLessThan(95_000);
    expect(open.find((p) => p.ticker === 'USDBRL')?.direction).toBe('SHORT');
  });

  it('opens every position from a reviewed proposal linked to it, one of them MODIFIED', async () => {
    const positions = await listPositions(db, { portfolioIds: [first.id] });
    const proposals = await listProposals(db, { portfolioIds: [first.id], limit: 100 });
    const byId = new Map(proposals.map((p) => [p.id, p]));
    for (const position of positions) {
      const proposal = byId.get(position.proposalId ?? '');
      expect(proposal?.positionId).toBe(position.id);
      expect(['APPROVED', 'MODIFIED']).toContain(proposal?.status);
      expect(proposal?.reviewedBy).toBeTruthy();
      expect(proposal?.executionNotionalBrl?.toFixed(2)).toBe(position.notionalBrl.toFixed(2));
    }
    const modified = proposals.filter((p) => p.status === 'MODIFIED');
    expect(modified).toHaveLength(1);
    expect(modified[0]?.suggestedNotionalBrl.equals(modified[0]?.executionNotionalBrl ?? 0)).toBe(false);
  });

  it('leaves exactly one PENDING flip on asOf, against an open position on the same instrument', async () => {
    const pending = await listProposals(db, { portfolioIds: [first.id], status: 'PENDING', asOfDate: AS_OF, limit: 100 });
    expect(pending.length).toBeGreaterThanOrEqual(3);
    const flips = pending.filter((p) => p.isFlip);
    expect(flips).toHaveLength(1);
    const flip = flips[0];
    expect(flip?.conviction).toBeGreaterThanOrEqual(0.6);
    const open = await listPositions(db, { portfolioIds: [first.id], isOpen: true });
    const against = open.find((p) => p.instrumentId === flip?.instrumentId);
    expect(against).toBeDefined();
    expect(against?.direction).not.toBe(flip?.direction);
  });

  it('records a REJECTED proposal on an earlier date with reviewer and notes', async () => {
    const rejected = await listProposals(db, { portfolioIds: [first.id], status: 'REJECTED', limit: 100 });
    expect(rejected).toHaveLength(1);
    expect((rejected[0]?.asOfDate ?? AS_OF) < AS_OF).toBe(true);
    expect(rejected[0]?.reviewedBy).toBeTruthy();
    expect(rejected[0]?.notes?.length).toBeGreaterThanOrEqual(3);
  });

  it('writes a verifiable, chronological journal with every entry type', async () => {
    const check = await verifyJournalChain(db, first.id);
    expect(check).toEqual(expect.objectContaining({ valid: true, brokenAt: null }));
    const { entries } = await listJournal(db, { portfolioIds: [first.id], limit: 1000 });
    expect(check.entries).toBe(entries.length);
    expect(new Set(entries.map((e) => e.type))).toEqual(new Set(JOURNAL_ENTRY_TYPES));
    const oldestFirst = [...entries].reverse().map((e) => e.createdAt.getTime());
    expect(oldestFirst).toEqual([...oldestFirst].sort((x, y) => x - y));
    expect(entries[0]?.type).toBe('SYSTEM_EVENT');
    expect(entries[0]?.actor).toBe('system:seed');
  });

  it('reuses the global instruments for a second portfolio', async () => {
    const a = await listPositions(db, { portfolioIds: [first.id] });
    const b = await listPositions(db, { portfolioIds: [second.id] });
    expect(b.map((p) => [p.ticker, p.instrumentId])).toEqual(a.map((p) => [p.ticker, p.instrumentId]));
  });

  it('skips a second seed of the same code and writes nothing', async () => {
    const before = await listSnapshots(db, first.id, ALL_TIME);
    const lines: string[] = [];
    const again = await seedDemo(db, { asOf: AS_OF, portfolioCode: first.code, log: (l) => lines.push(l) });
    expect(again).toEqual({ portfolioIds: [first.id], skipped: true });
    expect(lines.join('\n')).toMatch(/skipped/);
    expect(await listSnapshots(db, first.id, ALL_TIME)).toHaveLength(before.length);
  });
});
