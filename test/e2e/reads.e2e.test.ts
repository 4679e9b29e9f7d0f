import {
  AttributionDocument, BookDocument, EquityCurveDocument, GenerateMorningPackDocument, JournalDocument,
  JournalIntegrityDocument, MorningPackDocument, MorningPackHistoryDocument, OpenPositionDocument, PortfoliosDocument,
  PositionsDocument, RiskLiveDocument, RiskTrendDocument, TradeProposalsDocument,
  type ActionPriority, type AttributionPeriod, type JournalEntryType,
} from '../../client/generated/graphql';
import { dec, sum, type Decimal } from '../../src/domain/decimal';
import { startOfMonth, startOfYear } from '../../src/domain/dates';
import { fixedClock } from '../support/clock';
import { testDb } from '../support/db';
import { DEMO_AS_OF, DEMO_NOW } from '../support/demo';
import { actor, countRows } from '../support/factories';
import { codes, startTestGateway, type TestGateway } from '../support/gateway';
import { dataOf, seedFund, type SeededFund } from './harness';

/**
 * Every read of the API against a freshly seeded demo fund. Expected figures are computed here,
 * independently: from the database (pnl_snapshots, journal_entries) or from other queries.
 */

const db = testDb();
const clock = fixedClock(DEMO_NOW);
let gateway: TestGateway;
let fund: SeededFund;
let viewerToken: string;
let managerToken: string;

beforeAll(async () => {
  fund = await seedFund(db);
  gateway = await startTestGateway(db, clock);
  viewerToken = gateway.token(actor('VIEWER', [fund.code], 'e2e.viewer'));
  managerToken = gateway.token(actor('MANAGER', [fund.code], 'e2e.manager'));
}, 30_000);

afterAll(async () => {
  await gateway.stop();
  await db.destroy();
});

const decSum = (values: readonly string[]): Decimal => sum(values.map((v) => dec(v)));

/** Σ daily_pnl_brl of the fund's snapshots dated in [from, to], straight from the table. */
async function dailyPnlSum(portfolioId: string, from: string, to: string): Promise<Decimal> {
  const row = await db('pnl_snapshots')
    .where({ portfolio_id: portfolioId })
    .whereBetween('date', [from, to])
    .sum<{ total: string | null }[]>({ total: 'daily_pnl_brl' })
    .first();
  return dec(row?.total ?? 0);
}

/** The fund's snapshot dates up to `to`, oldest first. */
async function snapshotDates(portfolioId: string, to = DEMO_AS_OF): Promise<string[]> {
  const rows = await db('pnl_snapshots').where({ portfolio_id: portfolioId }).andWhere('date', '<=', to)
    .distinct('date').orderBy('date', 'asc');
  return rows.map((r: { date: string }) => r.date);
}

async function positions(status: 'OPEN' | 'CLOSED' | 'ALL') {
  return dataOf(await gateway.execute(PositionsDocument, { portfolioId: fund.code, status }, viewerToken)).positions;
}

function expectDecimal(actual: string | Decimal, expected: string | Decimal): void {
  // Compared as exact decimals ("1.50" equals "1.5"), shown as strings when they differ.
  expect(dec(actual).toFixed()).toBe(dec(expected).toFixed());
}

describe('book', () => {
  it('sums the open positions of the positions query into gross, net, leverage and unrealized P&L', async () => {
    const { book } = dataOf(await gateway.execute(BookDocument, { portfolioId: fund.code }, viewerToken));
    const open = await positions('OPEN');
    const gross = decSum(open.map((p) => p.notionalBrl));
    const net = sum(open.map((p) => dec(p.notionalBrl).times(p.direction === 'LONG' ? 1 : -1)));

    expect(book.asOf).toBe(DEMO_AS_OF);
    expect(book.portfolio.code).toBe(fund.code);
    expect(book.summary.openPositions).toBe(8);
    expect(open).toHaveLength(8);
    expect(book.positions.map((p) => p.id).sort()).toEqual(open.map((p) => p.id).sort());
    expect(book.positions.every((p) => p.instrument.ticker === p.ticker)).toBe(true);
    expectDecimal(book.summary.grossExposureBrl, gross);
    expectDecimal(book.summary.netExposureBrl, net);
    expect(book.summary.grossLeverage).toBeCloseTo(gross.div(book.summary.aumBrl).toNumber(), 12);
    expect(book.summary.netLeverage).toBeCloseTo(net.div(book.summary.aumBrl).toNumber(), 12);
    expectDecimal(book.summary.unrealizedPnlBrl, decSum(open.map((p) => p.unrealizedPnlBrl)));
  });

  it('totals the realized P&L of the closed positions and counts none closed on asOf', async () => {
    const { book } = dataOf(await gateway.execute(BookDocument, { portfolioId: fund.code }, viewerToken));
    const closed = await positions('CLOSED');
    expect(closed).toHaveLength(2);
    expectDecimal(book.summary.realizedPnlBrl, decSum(closed.map((p) => p.realizedPnlBrl)));
    expect(book.summary.closedToday).toBe(closed.filter((p) => p.closedAt === DEMO_AS_OF).length);
  });

  it('sums the daily P&L of the snapshots in [asOf], [first of month, asOf] and [Jan 1, asOf]', async () => {
    const { book } = dataOf(await gateway.execute(BookDocument, { portfolioId: fund.code }, viewerToken));
    expectDecimal(book.summary.pnlTodayBrl, await dailyPnlSum(fund.id, DEMO_AS_OF, DEMO_AS_OF));
    expectDecimal(book.summary.pnlMtdBrl, await dailyPnlSum(fund.id, startOfMonth(DEMO_AS_OF), DEMO_AS_OF));
    expectDecimal(book.summary.pnlYtdBrl, await dailyPnlSum(fund.id, startOfYear(DEMO_AS_OF), DEMO_AS_OF));
    // The windows are distinct: a test comparing three zeros would prove nothing.
    expect(dec(book.summary.pnlMtdBrl).eq(book.summary.pnlYtdBrl)).toBe(false);
  });

  it('breaks the open book down by asset class with counts, gross and unrealized P&L that add up', async () => {
    const { book } = dataOf(await gateway.execute(BookDocument, { portfolioId: fund.code }, viewerToken));
    const open = await positions('OPEN');
    expect(book.byAssetClass.reduce((n, row) => n + row.count, 0)).toBe(book.summary.openPositions);
    expectDecimal(decSum(book.byAssetClass.map((r) => r.grossNotionalBrl)), book.summary.grossExposureBrl);
    expectDecimal(decSum(book.byAssetClass.map((r) => r.unrealizedPnlBrl)), book.summary.unrealizedPnlBrl);
    for (const row of book.byAssetClass) {
      const inClass = open.filter((p) => p.assetClass === row.assetClass);
      expect(row.count).toBe(inClass.length);
      expectDecimal(row.grossNotionalBrl, decSum(inClass.map((p) => p.notionalBrl)));
    }
    expect(new Set(book.byAssetClass.map((r) => r.assetClass)).size).toBe(book.byAssetClass.length);
  });

  it('rebuilds a book 10 business days back from the snapshots of that date, different from today', async () => {
    const dates = await snapshotDates(fund.id);
    const past = dates[dates.length - 1 - 10]!;
    const [today, then] = await Promise.all([
      gateway.execute(BookDocument, { portfolioId: fund.code }, viewerToken),
      gateway.execute(BookDocument, { portfolioId: fund.code, asOf: past }, viewerToken),
    ]);
    const now = dataOf(today).book;
    const book = dataOf(then).book;
    const snaps: { position_id: string; unrealized_pnl_brl: string }[] = await db('pnl_snapshots')
      .where({ portfolio_id: fund.id, date: past })
      .select('position_id', 'unrealized_pnl_brl');
    const unrealizedThen = new Map(snaps.map((s) => [s.position_id, s.unrealized_pnl_brl]));

    expect(book.asOf).toBe(past);
    for (const p of book.positions) expectDecimal(p.unrealizedPnlBrl, unrealizedThen.get(p.id) ?? 'no snapshot');
    expectDecimal(book.summary.unrealizedPnlBrl, decSum(book.positions.map((p) => p.unrealizedPnlBrl)));
    expectDecimal(book.summary.pnlTodayBrl, await dailyPnlSum(fund.id, past, past));
    expectDecimal(book.summary.pnlMtdBrl, await dailyPnlSum(fund.id, startOfMonth(past), past));
    expect(dec(book.summary.unrealizedPnlBrl).eq(now.summary.unrealizedPnlBrl)).toBe(false);
    expect(dec(book.summary.pnlTodayBrl).eq(now.summary.pnlTodayBrl)).toBe(false);
  });

  it('shows in a past book the positions open then, including one closed since', async () => {
    const all = await positions('ALL');
    const closedLast = all.filter((p) => p.closedAt !== null).sort((a, b) => (a.closedAt! < b.closedAt! ? 1 : -1))[0]!;
    const dates = await snapshotDates(fund.id);
    const past = dates[dates.indexOf(closedLast.closedAt!) - 1]!;
    const openThen = all.filter((p) => p.entryDate <= past && (p.closedAt === null || p.closedAt > past));

    const { book } = dataOf(await gateway.execute(BookDocument, { portfolioId: fund.code, asOf: past }, viewerToken));
    expect(book.positions.map((p) => p.id).sort()).toEqual(openThen.map((p) => p.id).sort());
    expect(book.positions.map((p) => p.id)).toContain(closedLast.id);
    expect(book.summary.openPositions).toBe(openThen.length);
    expect(book.summary.openPositions).not.toBe(8);
    expectDecimal(book.summary.grossExposureBrl, decSum(openThen.map((p) => p.notionalBrl)));
    // Realized P&L counts only the positions closed on or before that date.
    const closedBy = all.filter((p) => p.closedAt !== null && p.closedAt <= past);
    expectDecimal(book.summary.realizedPnlBrl, decSum(closedBy.map((p) => p.realizedPnlBrl)));
  });
});

describe('riskLive and riskTrend', () => {
  it('gives VaR from every daily observation, with limits whose utilization is value / limit', async () => {
    const { riskLive } = dataOf(await gateway.execute(RiskLiveDocument, { portfolioId: fund.code }, viewerToken));
    const { book } = dataOf(await gateway.execute(BookDocument, { portfolioId: fund.code }, viewerToken));

    expect(riskLive.asOf).toBe(DEMO_AS_OF);
    expect(riskLive.var.observations).toBeGreaterThanOrEqual(20);
    expect(riskLive.var.observations).toBe((await snapshotDates(fund.id)).length);
    expect(riskLive.var.unavailableReason).toBeNull();
    expect(riskLive.var.parametric95Pct).not.toBeNull();
    expect(riskLive.var.parametric99Pct!).toBeGreaterThan(riskLive.var.parametric95Pct!);

    expectDecimal(riskLive.leverage.grossExposureBrl, book.summary.grossExposureBrl);
    expectDecimal(riskLive.leverage.netExposureBrl, book.summary.netExposureBrl);
    expect(riskLive.leverage.gross).toBeCloseTo(book.summary.grossLeverage, 12);

    expect(riskLive.limits.map((l) => l.check)).toEqual(['VAR_95', 'VAR_99', 'GROSS_LEVERAGE', 'NET_LEVERAGE', 'DRAWDOWN']);
    for (const limit of riskLive.limits) {
      expect(limit.value).not.toBeNull();
      expect(limit.utilization).toBeCloseTo(Math.abs(limit.value!) / limit.limit, 12);
    }
    const byCheck = new Map(riskLive.limits.map((l) => [l.check, l]));
    expect(byCheck.get('VAR_95')?.value).toBe(riskLive.var.parametric95Pct);
    expect(byCheck.get('GROSS_LEVERAGE')?.value).toBe(riskLive.leverage.gross);
    expect(byCheck.get('DRAWDOWN')?.value).toBe(riskLive.drawdown.currentPct);
  });

  it('runs the six stress scenarios, each the sum of its position contributions', async () => {
    const { riskLive } = dataOf(await gateway.execute(RiskLiveDocument, { portfolioId: fund.code }, viewerToken));
    const openIds = new Set((await positions('OPEN')).map((p) => p.id));
    expect(riskLive.stress).toHaveLength(6);
    expect(new Set(riskLive.stress.map((s) => s.scenarioId)).size).toBe(6);
    for (const scenario of riskLive.stress) {
      expect(scenario.contributions.length).toBeGreaterThan(0);
      expect(scenario.contributions.every((c) => openIds.has(c.positionId))).toBe(true);
      expectDecimal(scenario.pnlBrl, decSum(scenario.contributions.map((c) => c.pnlBrl)));
      expect(scenario.pnlPctOfAum).toBeCloseTo(dec(scenario.pnlBrl).div(riskLive.aumBrl).times(100).toNumber(), 10);
    }
  });

  it('records the day\'s snapshot of the live risk read, which riskTrend then returns', async () => {
    const { riskLive } = dataOf(await gateway.execute(RiskLiveDocument, { portfolioId: fund.code }, viewerToken));
    const { riskTrend } = dataOf(await gateway.execute(RiskTrendDocument, { portfolioId: fund.code }, viewerToken));
    const ofToday = riskTrend.filter((s) => s.date === DEMO_AS_OF);
    expect(ofToday).toHaveLength(1);
    expect(ofToday[0]).toMatchObject({
      portfolioId: fund.id,
      var95: riskLive.var.parametric95Pct,
      var99: riskLive.var.parametric99Pct,
      grossLeverage: riskLive.leverage.gross,
      drawdownPct: riskLive.drawdown.currentPct,
      alertCount: riskLive.alerts.length,
      overallStatus: riskLive.overallStatus,
    });
    expect(await countRows(db, 'risk_snapshots', { portfolio_id: fund.id, date: DEMO_AS_OF })).toBe(1);
  });

  it('raises exactly one alert per check in WARNING or BREACHED, on a fund pushed over its limits', async () => {
    // A fund of its own: a 200M DI1 receiver puts RATES over its concentration limit and leverage up.
    const stretched = await seedFund(db, 'E2E_RISK');
    const admin = gateway.token(actor('ADMIN', '*', 'e2e.admin'));
    dataOf(await gateway.execute(OpenPositionDocument, {
      input: {
        portfolioId: stretched.code, ticker: 'DI1F28', direction: 'LONG', notionalBrl: '200000000',
        entryPrice: '88000', entryFxRate: '5', thesis: 'Stretch the book over its limits',
      },
    }, admin));
    const { riskLive } = dataOf(await gateway.execute(RiskLiveDocument, { portfolioId: stretched.code }, admin));

    const notOk = [
      ...riskLive.limits.filter((l) => l.status !== 'OK').map((l) => l.check),
      ...riskLive.concentration.byAssetClass.filter((c) => c.status !== 'OK').map((c) => `CONCENTRATION_${c.assetClass}`),
    ];
    const alerted = riskLive.alerts.map((a) => a.check);
    expect(notOk.length).toBeGreaterThanOrEqual(2);
    expect(alerted).toHaveLength(new Set(alerted).size);
    expect([...alerted].sort()).toEqual([...notOk].sort());
    expect(riskLive.alerts.every((a) => a.status === 'WARNING' || a.status === 'BREACHED')).toBe(true);
    // BREACHED first.
    const ranks = riskLive.alerts.map((a) => (a.status === 'BREACHED' ? 0 : 1));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(riskLive.overallStatus).toBe(riskLive.alerts.some((a) => a.status === 'BREACHED') ? 'BREACHED' : 'WARNING');

    const { riskTrend } = dataOf(await gateway.execute(RiskTrendDocument, { portfolioId: stretched.code }, admin));
    expect(riskTrend.find((s) => s.date === DEMO_AS_OF)?.alertCount).toBe(alerted.length);
  });
});

describe('attribution', () => {
  const periods: [AttributionPeriod, (inception: string) => string][] = [
    ['MTD', () => startOfMonth(DEMO_AS_OF)],
    ['YTD', () => startOfYear(DEMO_AS_OF)],
    ['INCEPTION', (inception) => inception],
  ];

  it.each(periods)('reconciles every %s breakdown to the total, which is the daily P&L of the range', async (period, startOf) => {
    const { portfolios } = dataOf(await gateway.execute(PortfoliosDocument, {}, viewerToken));
    const start = startOf(portfolios.find((p) => p.code === fund.code)!.inceptionDate);
    const { attribution: a } = dataOf(await gateway.execute(AttributionDocument, { portfolioId: fund.code, period }, viewerToken));

    expect(a.range).toEqual({ period, start, end: DEMO_AS_OF, key: `${period}:${start}:${DEMO_AS_OF}` });
    const total = dec(a.totalPnlBrl);
    expectDecimal(total, await dailyPnlSum(fund.id, start, DEMO_AS_OF));
    expect(total.isZero()).toBe(false);
    expectDecimal(decSum(a.byStrategy.map((r) => r.pnlBrl)), total);
    expectDecimal(decSum(a.byAssetClass.map((r) => r.pnlBrl)), total);
    expectDecimal(decSum(a.byInstrument.map((r) => r.pnlBrl)), total);
    expectDecimal(decSum(a.byTimeBucket.map((r) => r.pnlBrl)), total);
    expectDecimal(decSum(a.byFactor.map((r) => r.pnlBrl)), total);
    expectDecimal(decSum(a.byTradeType.map((r) => r.pnlBrl)), total);
    expectDecimal(a.byTimeBucket[a.byTimeBucket.length - 1]!.cumulativePnlBrl, total);
    expect(a.byTimeBucket[0]!.start).toBe(start);
    expect(a.byTimeBucket[a.byTimeBucket.length - 1]!.end).toBe(DEMO_AS_OF);
    expect(a.totalReturnPct).toBeCloseTo(total.div(a.aumBrl).times(100).toNumber(), 10);
  });

  it('uses weekly buckets up to 90 days and monthly ones beyond', async () => {
    const [mtd, ytd] = await Promise.all([
      gateway.execute(AttributionDocument, { portfolioId: fund.code, period: 'MTD' }, viewerToken),
      gateway.execute(AttributionDocument, { portfolioId: fund.code, period: 'YTD' }, viewerToken),
    ]);
    expect(dataOf(mtd).attribution.timeBucketGranularity).toBe('WEEK');
    expect(dataOf(ytd).attribution.timeBucketGranularity).toBe('MONTH');
    // January to asOf's month, one bucket each, months without P&L included.
    expect(dataOf(ytd).attribution.byTimeBucket).toHaveLength(Number(DEMO_AS_OF.slice(5, 7)));
  });

  it('takes a CUSTOM range from and to, keyed CUSTOM:from:to', async () => {
    const { attribution } = dataOf(await gateway.execute(AttributionDocument, {
      portfolioId: fund.code, period: 'CUSTOM', from: '2025-10-01', to: '2025-10-31',
    }, viewerToken));
    expect(attribution.range.key).toBe('CUSTOM:2025-10-01:2025-10-31');
    expectDecimal(attribution.totalPnlBrl, await dailyPnlSum(fund.id, '2025-10-01', '2025-10-31'));
  });

  it('refuses a CUSTOM period without dates with BAD_USER_INPUT', async () => {
    const response = await gateway.execute(AttributionDocument, { portfolioId: fund.code, period: 'CUSTOM' }, viewerToken);
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.data).toBeNull();
  });
});

describe('equityCurve', () => {
  it('ends at AUM plus the sum of every daily P&L, one point per date with P&L', async () => {
    const { equityCurve } = dataOf(await gateway.execute(EquityCurveDocument, { portfolioId: fund.code }, viewerToken));
    const { book } = dataOf(await gateway.execute(BookDocument, { portfolioId: fund.code }, viewerToken));
    const dates = await snapshotDates(fund.id);
    const last = equityCurve[equityCurve.length - 1]!;

    expect(equityCurve.map((p) => p.date)).toEqual(dates);
    expect(last.date).toBe(DEMO_AS_OF);
    expectDecimal(last.equityBrl, dec(book.summary.aumBrl).plus(await dailyPnlSum(fund.id, '1900-01-01', DEMO_AS_OF)));
    expectDecimal(decSum(equityCurve.map((p) => p.pnlBrl)), dec(last.equityBrl).minus(book.summary.aumBrl));
  });
});

describe('morning pack', () => {
  const RANK: Record<ActionPriority, number> = { CRITICAL: 0, HIGH: 1, MEDIUM: 2, LOW: 3 };

  async function generate(force = false) {
    return dataOf(await gateway.execute(GenerateMorningPackDocument, { input: { portfolioId: fund.code, force } }, managerToken))
      .generateMorningPack;
  }

  it('lists action items CRITICAL to LOW, the pending flip proposal CRITICAL', async () => {
    await generate();
    const { morningPack } = dataOf(await gateway.execute(MorningPackDocument, { portfolioId: fund.code, date: DEMO_AS_OF }, viewerToken));
    const { tradeProposals } = dataOf(await gateway.execute(TradeProposalsDocument, {
      portfolioId: fund.code, status: 'PENDING', date: DEMO_AS_OF,
    }, viewerToken));
    const flip = tradeProposals.find((p) => p.isFlip)!;

    expect(morningPack?.briefingDate).toBe(DEMO_AS_OF);
    const ranks = morningPack!.actionItems.map((i) => RANK[i.priority]);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(morningPack!.actionItems.find((i) => i.proposalId === flip.id)?.priority).toBe('CRITICAL');
    expect(morningPack!.actionItems[0]?.priority).toBe('CRITICAL');
    expect(morningPack!.pendingProposals.map((p) => p.proposalId).sort()).toEqual(tradeProposals.map((p) => p.id).sort());
  });

  it('carries the book of the briefing date in its portfolio state', async () => {
    const pack = await generate();
    const { book } = dataOf(await gateway.execute(BookDocument, { portfolioId: fund.code }, viewerToken));
    expect(pack.portfolioState.asOf).toBe(DEMO_AS_OF);
    expect(pack.portfolioState.openPositions).toBe(book.summary.openPositions);
    expectDecimal(pack.portfolioState.grossExposureBrl, book.summary.grossExposureBrl);
    expect(pack.riskSummary.var95Pct).not.toBeNull();
  });

  it('returns the stored pack when generated again without force, and rebuilds it with force', async () => {
    const first = await generate();
    const again = await generate();
    expect(again.id).toBe(first.id);
    expect(again.generatedAt).toBe(first.generatedAt);

    const later = new Date(new Date(DEMO_NOW).getTime() + 60 * 60_000).toISOString();
    clock.set(later);
    try {
      const forced = await generate(true);
      expect(forced.briefingDate).toBe(DEMO_AS_OF);
      expect(forced.generatedAt).not.toBe(first.generatedAt);
      expect(new Date(forced.generatedAt).toISOString()).toBe(later);
      expect(await countRows(db, 'morning_packs', { portfolio_id: fund.id, briefing_date: DEMO_AS_OF })).toBe(1);
    } finally {
      clock.set(DEMO_NOW);
    }
  });

  it('lists the generated pack in morningPackHistory', async () => {
    const pack = await generate();
    const { morningPackHistory } = dataOf(await gateway.execute(MorningPackHistoryDocument, { portfolioId: fund.code }, viewerToken));
    expect(morningPackHistory.map((p) => p.id)).toContain(pack.id);
    expect(morningPackHistory).toHaveLength(await countRows(db, 'morning_packs', { portfolio_id: fund.id }));
  });
});

describe('tradeProposals', () => {
  it('lists the four PENDING proposals of asOf, exactly one a flip against an open position', async () => {
    const { tradeProposals } = dataOf(await gateway.execute(TradeProposalsDocument, {
      portfolioId: fund.code, status: 'PENDING',
    }, viewerToken));
    const open = await positions('OPEN');
    expect(tradeProposals).toHaveLength(4);
    expect(tradeProposals.every((p) => p.status === 'PENDING' && p.asOfDate === DEMO_AS_OF)).toBe(true);
    const flips = tradeProposals.filter((p) => p.isFlip);
    expect(flips).toHaveLength(1);
    const against = open.find((p) => p.ticker === flips[0]!.ticker);
    expect(against?.direction).toBeDefined();
    expect(against?.direction).not.toBe(flips[0]!.direction);
  });
});

describe('journal', () => {
  it('pages newest first: after the endCursor of a page of 5 come the next 5, with no overlap', async () => {
    const first = dataOf(await gateway.execute(JournalDocument, { portfolioId: fund.code, first: 5 }, viewerToken)).journal;
    expect(first.entries).toHaveLength(5);
    expect(first.pageInfo.hasNextPage).toBe(true);
    expect(first.pageInfo.endCursor).toBe(first.entries[4]!.id);
    const second = dataOf(await gateway.execute(JournalDocument, {
      portfolioId: fund.code, first: 5, after: first.pageInfo.endCursor,
    }, viewerToken)).journal;
    expect(second.entries).toHaveLength(5);

    const ids = [...first.entries, ...second.entries].map((e) => BigInt(e.id));
    expect(new Set(ids).size).toBe(10);
    expect(ids).toEqual([...ids].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0)));
    const [top] = await db('journal_entries').where({ portfolio_id: fund.id }).orderBy('id', 'desc').limit(1);
    expect(first.entries[0]!.id).toBe(String(top.id));
  });

  it.each<[JournalEntryType[]]>([[['REJECT']], [['OPEN', 'CLOSE']], [['SYSTEM_EVENT', 'NOTE', 'MODIFY']]])(
    'filters by types %j, returning every entry of those types and nothing else',
    async (types) => {
      const { journal } = dataOf(await gateway.execute(JournalDocument, { portfolioId: fund.code, types, first: 200 }, viewerToken));
      const stored = await db('journal_entries').where({ portfolio_id: fund.id }).whereIn('type', types).count<{ n: string }[]>({ n: '*' });
      expect(journal.entries.length).toBeGreaterThan(0);
      expect(journal.entries.every((e) => types.includes(e.type))).toBe(true);
      expect(journal.entries).toHaveLength(Number(stored[0]!.n));
    },
  );

  it('verifies the hash chain over every entry of the fund', async () => {
    const { journalIntegrity } = dataOf(await gateway.execute(JournalIntegrityDocument, { portfolioId: fund.code }, viewerToken));
    expect(journalIntegrity).toMatchObject({
      valid: true,
      brokenAt: null,
      firstBreak: null,
      entries: await countRows(db, 'journal_entries', { portfolio_id: fund.id }),
    });
  });
});

describe('portfolios', () => {
  it('lists exactly the fund an actor is entitled to', async () => {
    const { portfolios } = dataOf(await gateway.execute(PortfoliosDocument, {}, viewerToken));
    expect(portfolios).toEqual([
      expect.objectContaining({ id: fund.id, code: fund.code, baseCurrency: 'BRL' }),
    ]);
    expectDecimal(portfolios[0]!.aumBrl, '100000000');
  });
});
