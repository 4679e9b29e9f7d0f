import type { AttributionInput, TradeType } from './attribution';
import {
  aggregateSnapshots,
  computeAttribution,
  computeEquityCurve,
  resolvePeriod,
  splitByStrategy,
  timeBuckets,
  UNASSIGNED_STRATEGY,
} from './attribution';
import type { Decimal } from './decimal';
import { dec, sum } from './decimal';
import { InvalidInput } from './errors';
import { businessDates, makeDailyPnl, makePortfolio, makePosition, makeSnapshot } from './test-factories';
import type { PnlSnapshot, Position } from './types';

const asOf = '2026-11-27'; // a Friday
const inceptionDate = '2026-01-02';

describe('resolvePeriod', () => {
  it('ends every named period at asOf and starts it where its name says', () => {
    const start = (period: Parameters<typeof resolvePeriod>[0]) => resolvePeriod(period, asOf, { inceptionDate }).start;
    expect(start('DAILY')).toBe(asOf);
    expect(start('WTD')).toBe('2026-11-23'); // the ISO Monday of that week
    expect(start('MTD')).toBe('2026-11-01');
    expect(start('QTD')).toBe('2026-10-01');
    expect(start('YTD')).toBe('2026-01-01');
    expect(start('INCEPTION')).toBe(inceptionDate);
    expect(resolvePeriod('YTD', asOf, { inceptionDate }).end).toBe(asOf);
  });

  it('keys a period as PERIOD:start:end', () => {
    expect(resolvePeriod('MTD', asOf, { inceptionDate })).toEqual({
      period: 'MTD',
      start: '2026-11-01',
      end: '2026-11-27',
      key: 'MTD:2026-11-01:2026-11-27',
    });
    expect(resolvePeriod('CUSTOM', asOf, { inceptionDate, from: '2026-03-02', to: '2026-04-30' }).key).toBe(
      'CUSTOM:2026-03-02:2026-04-30',
    );
  });

  it('requires both dates of a CUSTOM period, in order, naming the argument at fault', () => {
    const fieldOf = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (e) {
        if (e instanceof InvalidInput) return e.field;
        throw e;
      }
      return undefined;
    };
    expect(fieldOf(() => resolvePeriod('CUSTOM', asOf, { inceptionDate, to: '2026-04-30' }))).toBe('from');
    expect(fieldOf(() => resolvePeriod('CUSTOM', asOf, { inceptionDate, from: '2026-04-30' }))).toBe('to');
    expect(fieldOf(() => resolvePeriod('CUSTOM', asOf, { inceptionDate, from: '2026-05-01', to: '2026-04-30' }))).toBe(
      'from',
    );
    expect(fieldOf(() => resolvePeriod('CUSTOM', asOf, { inceptionDate, from: '2026-02-30', to: '2026-04-30' }))).toBe(
      'from',
    );
    expect(fieldOf(() => resolvePeriod('MTD', '27/11/2026', { inceptionDate }))).toBe('asOf');
  });

  it('refuses an INCEPTION period that would end before the inception date', () => {
    expect(() => resolvePeriod('INCEPTION', '2025-12-31', { inceptionDate })).toThrow(InvalidInput);
  });
});

describe('splitByStrategy', () => {
  it('splits by normalized weights and gives the last strategy the remainder', () => {
    // 100 × (1/3) / (3 × 1/3) = 33.333… → 33.3333 (the money scale) twice; the last gets 100 − 66.6666 = 33.3334
    const pieces = splitByStrategy({ strategyIds: [], strategyWeights: { C: 1 / 3, A: 1 / 3, B: 1 / 3 } }, dec(100));
    expect(pieces.map((p) => [p.strategyId, p.pnlBrl.toFixed()])).toEqual([
      ['A', '33.3333'],
      ['B', '33.3333'],
      ['C', '33.3334'],
    ]);
  });

  it('normalizes weights that do not sum to one', () => {
    // weights 2 : 1 of 10 → X 6.666666666… rounded to 6.6667, Y the remainder 3.3333
    const pieces = splitByStrategy({ strategyIds: ['X', 'Y'], strategyWeights: { X: 2, Y: 1 } }, dec(10));
    expect(pieces.map((p) => [p.strategyId, p.pnlBrl.toFixed()])).toEqual([
      ['X', '6.6667'],
      ['Y', '3.3333'],
    ]);
  });

  it('splits equally across distinct strategy ids when no weight is usable', () => {
    // weights 0 and −1 are ignored; ids [B, A, B] are two strategies: −1 / 2 = −0.5 each
    const pieces = splitByStrategy({ strategyIds: ['B', 'A', 'B'], strategyWeights: { A: 0, B: -1 } }, dec(-1));
    expect(pieces.map((p) => [p.strategyId, p.pnlBrl.toFixed()])).toEqual([
      ['A', '-0.5'],
      ['B', '-0.5'],
    ]);
  });

  it('assigns P&L without strategies to UNASSIGNED', () => {
    expect(splitByStrategy({ strategyIds: [], strategyWeights: null }, dec(7))).toEqual([
      { strategyId: UNASSIGNED_STRATEGY, pnlBrl: dec(7) },
    ]);
  });
});

describe('timeBuckets', () => {
  it('cuts a range into ISO weeks clipped to the range', () => {
    // 2026-11-01 is a Sunday: its week (from Monday 10-26) is clipped to that single day
    expect(timeBuckets({ start: '2026-11-01', end: '2026-11-27' }, 'WEEK')).toEqual([
      { start: '2026-11-01', end: '2026-11-01' },
      { start: '2026-11-02', end: '2026-11-08' },
      { start: '2026-11-09', end: '2026-11-15' },
      { start: '2026-11-16', end: '2026-11-22' },
      { start: '2026-11-23', end: '2026-11-27' },
    ]);
  });

  it('cuts a range into calendar months clipped to the range', () => {
    const months = timeBuckets({ start: '2026-01-15', end: '2026-03-10' }, 'MONTH');
    expect(months).toEqual([
      { start: '2026-01-15', end: '2026-01-31' },
      { start: '2026-02-01', end: '2026-02-28' },
      { start: '2026-03-01', end: '2026-03-10' },
    ]);
  });
});

/**
 * A month of snapshots for five positions whose strategy splits need rounding (weights of 1/3,
 * 2 : 1, ids without weights, no strategy at all), P&L with four decimals, one position closed
 * mid-period, and snapshots just outside the range that must be ignored.
 */
function monthFixture(): AttributionInput & { snapshots: PnlSnapshot[]; inRange: PnlSnapshot[] } {
  const portfolio = makePortfolio({ aumBrl: dec(100_000_000) });
  const range = resolvePeriod('MTD', asOf, { inceptionDate });
  const p1 = makePosition({
    ticker: 'DI1F27',
    assetClass: 'RATES',
    notionalBrl: dec(50_000_000),
    entryDate: '2026-10-15',
    strategyWeights: { RATES_BR_01: 1 / 3, RATES_BR_02: 1 / 3, FX_02: 1 / 3 },
  });
  const p2 = makePosition({
    ticker: 'USDBRL',
    assetClass: 'FX',
    direction: 'SHORT',
    notionalBrl: dec(20_000_000),
    entryDate: '2026-11-03',
    strategyIds: ['FX_BR_01', 'CROSS_01'],
  });
  const p3 = makePosition({ ticker: 'IBOV_FUT', assetClass: 'EQUITY', notionalBrl: dec(10_000_000) });
  const p4 = makePosition({
    ticker: 'NTN_B_2030',
    assetClass: 'INFLATION',
    notionalBrl: dec(5_000_000),
    entryDate: '2026-09-01',
    isOpen: false,
    closedAt: '2026-11-20',
    realizedPnlBrl: dec('12345.6788'),
    strategyWeights: { INF_BR_01: 2, INF_02: 1 },
  });
  const p5 = makePosition({
    ticker: 'CDS_BR_5Y',
    assetClass: 'SOVEREIGN',
    notionalBrl: dec(3_000_000),
    strategyIds: ['SOV_03', 'MYSTERY_01'],
    strategyWeights: { SOV_01: 0 },
  });
  const positions = [p1, p2, p3, p4, p5];

  const inRange: PnlSnapshot[] = [];
  businessDates('2026-11-02', 20).forEach((date, day) => {
    positions.forEach((p, k) => {
      if (p.closedAt !== null && date > p.closedAt) return;
      // Deterministic P&L in about [−100, 100] BRL with four decimals.
      const pnl = dec(((day * 7919 + k * 104_729) % 2_000_001) - 999_999).div(10_000);
      inRange.push(makeSnapshot(p, date, date === p.closedAt ? pnl.plus(p.realizedPnlBrl) : pnl));
    });
  });
  const outside = [makeSnapshot(p1, '2026-10-30', 999_999), makeSnapshot(p2, '2026-11-30', -999_999)];
  const tradeTypeByPosition = new Map<string, TradeType>([
    [p1.id, 'SYSTEMATIC'],
    [p2.id, 'SYSTEMATIC'],
    [p4.id, 'DISCRETIONARY'],
    [p5.id, 'SYSTEMATIC'],
  ]); // p3 missing: counts as DISCRETIONARY
  const snapshots = [...outside, ...inRange];
  return { portfolio, range, positions, ...aggregateSnapshots(snapshots, range), tradeTypeByPosition, snapshots, inRange };
}

describe('aggregateSnapshots', () => {
  it('sums daily P&L per position and per date, counting only snapshots within the range', () => {
    const a = makePosition();
    const b = makePosition();
    const range = { start: '2026-11-02', end: '2026-11-03' };
    const { pnlByPosition, dailyPnl } = aggregateSnapshots(
      [
        makeSnapshot(a, '2026-11-01', 1_000), // before the range
        makeSnapshot(a, '2026-11-02', '1.5'),
        makeSnapshot(b, '2026-11-02', '-0.25'),
        makeSnapshot(a, '2026-11-03', 2),
        makeSnapshot(b, '2026-11-04', 1_000), // after the range
      ],
      range,
    );
    expect([...pnlByPosition].map(([id, pnl]) => [id, pnl.toFixed()])).toEqual([
      [a.id, '3.5'],
      [b.id, '-0.25'],
    ]);
    expect(dailyPnl.map((d) => [d.date, d.pnlBrl.toFixed()])).toEqual([
      ['2026-11-02', '1.25'],
      ['2026-11-03', '2'],
    ]);
  });
});

describe('computeAttribution', () => {
  it('reconciles every breakdown exactly with the total, weights of 1/3 included', () => {
    const f = monthFixture();
    const a = computeAttribution(f);
    // The total is Σ dailyPnl of the in-range snapshots, computed here independently.
    const expected = sum(f.inRange.map((s) => s.dailyPnlBrl));
    expect(a.totalPnlBrl.toFixed()).toBe(expected.toFixed());
    const totals: Record<string, Decimal> = {
      byStrategy: sum(a.byStrategy.map((r) => r.pnlBrl)),
      byAssetClass: sum(a.byAssetClass.map((r) => r.pnlBrl)),
      byInstrument: sum(a.byInstrument.map((r) => r.pnlBrl)),
      byFactor: sum(a.byFactor.map((r) => r.pnlBrl)),
      byTimeBucket: sum(a.byTimeBucket.map((r) => r.pnlBrl)),
      byTradeType: sum(a.byTradeType.map((r) => r.pnlBrl)),
    };
    for (const [name, total] of Object.entries(totals)) {
      expect([name, total.toFixed()]).toEqual([name, expected.toFixed()]);
    }
    expect(a.byTimeBucket.at(-1)?.cumulativePnlBrl.toFixed()).toBe(expected.toFixed());
    // The 1/3 and 2 : 1 splits did not divide evenly: their pieces were rounded to the money scale
    // (4 places) and only the remainder rule makes them add up.
    const row = (id: string) => a.byStrategy.find((r) => r.strategyId === id)?.pnlBrl;
    expect(row('RATES_BR_01')?.decimalPlaces()).toBe(4);
    expect(row('INF_02')?.decimalPlaces()).toBe(4);
    expect(a.byStrategy.map((r) => r.strategyId)).toEqual([
      'CROSS_01',
      'FX_02',
      'FX_BR_01',
      'INF_02',
      'INF_BR_01',
      'MYSTERY_01',
      'RATES_BR_01',
      'RATES_BR_02',
      'SOV_03',
      UNASSIGNED_STRATEGY,
    ]);
  });

  it("counts a position's P&L as the sum of its daily P&L, not adding realized P&L twice", () => {
    const portfolio = makePortfolio();
    const p = makePosition({ isOpen: false, closedAt: '2026-11-05', realizedPnlBrl: dec(5_000) });
    const range = resolvePeriod('MTD', asOf, { inceptionDate });
    // 100 on the 4th, then the close day's dailyPnl 5,000 already includes the realized amount → 5,100
    const a = computeAttribution({
      portfolio,
      range,
      positions: [p],
      ...aggregateSnapshots([makeSnapshot(p, '2026-11-04', 100), makeSnapshot(p, '2026-11-05', 5_000)], range),
      tradeTypeByPosition: new Map(),
    });
    expect(a.totalPnlBrl.toFixed()).toBe('5100');
    // 5,100 / 100M AUM = 0.0051%
    expect(a.totalReturnPct).toBeCloseTo(0.0051, 12);
  });

  it('reports trades count and win rate per strategy from whole-position P&L', () => {
    const portfolio = makePortfolio();
    const range = resolvePeriod('DAILY', asOf, { inceptionDate });
    const winner = makePosition({ strategyIds: ['FX_02'] });
    const loser = makePosition({ strategyIds: ['FX_02', 'FX_03'] });
    const a = computeAttribution({
      portfolio,
      range,
      positions: [winner, loser],
      ...aggregateSnapshots([makeSnapshot(winner, asOf, 100), makeSnapshot(loser, asOf, -50)], range),
      tradeTypeByPosition: new Map(),
    });
    // FX_02: 100 + (−50 / 2) = 75 over 2 trades, 1 winner → 50%; FX_03: −25 over 1 trade, 0%
    expect(a.byStrategy.map((r) => [r.strategyId, r.pnlBrl.toFixed(), r.tradesCount, r.winRatePct, r.factor])).toEqual([
      ['FX_02', '75', 2, 50, 'momentum'],
      ['FX_03', '-25', 1, 0, 'mean-reversion'],
    ]);
  });

  it('describes each position with its return on notional and holding days', () => {
    const f = monthFixture();
    const a = computeAttribution(f);
    const closed = a.byInstrument.find((r) => r.ticker === 'NTN_B_2030');
    const open = a.byInstrument.find((r) => r.ticker === 'USDBRL');
    // closed: 2026-09-01 → 2026-11-20 = 29 + 31 + 20 = 80 days; open: 2026-11-03 → range end 11-27 = 24 days
    expect(closed?.holdingDays).toBe(80);
    expect(open?.holdingDays).toBe(24);
    expect(open?.direction).toBe('SHORT');
    // return on notional = pnl / 20M × 100
    expect(open?.returnOnNotionalPct).toBeCloseTo((open?.pnlBrl.toNumber() ?? NaN) / 200_000, 12);
    // best first
    const pnls = a.byInstrument.map((r) => r.pnlBrl.toNumber());
    expect(pnls).toEqual([...pnls].sort((x, y) => y - x));
  });

  it('groups strategies into factor tags, unknown and unassigned strategies as untagged', () => {
    const a = computeAttribution(monthFixture());
    expect(a.byFactor.map((r) => [r.factor, r.strategyIds])).toEqual([
      ['carry', ['FX_BR_01', 'INF_BR_01', 'RATES_BR_01']],
      ['momentum', ['FX_02', 'RATES_BR_02']],
      ['event-driven', ['SOV_03']],
      ['relative-value', ['INF_02']],
      ['macro-discretionary', ['CROSS_01']],
      ['untagged', ['MYSTERY_01', UNASSIGNED_STRATEGY]],
    ]);
  });

  it('splits P&L into systematic and discretionary trades, unmapped positions as discretionary', () => {
    const a = computeAttribution(monthFixture());
    // SYSTEMATIC: p1, p2, p5; DISCRETIONARY: p4 and p3 (not in the map)
    expect(a.byTradeType.map((r) => [r.tradeType, r.positionsCount])).toEqual([
      ['SYSTEMATIC', 3],
      ['DISCRETIONARY', 2],
    ]);
  });

  it('uses weekly buckets up to 90 days and monthly buckets beyond', () => {
    const f = monthFixture();
    expect(computeAttribution(f).timeBucketGranularity).toBe('WEEK');
    const ytdRange = resolvePeriod('YTD', asOf, { inceptionDate });
    const ytd = computeAttribution({ ...f, range: ytdRange, ...aggregateSnapshots(f.snapshots, ytdRange) });
    expect(ytd.timeBucketGranularity).toBe('MONTH');
    // January … November, the last clipped to asOf
    expect(ytd.byTimeBucket).toHaveLength(11);
    expect(ytd.byTimeBucket.at(-1)).toMatchObject({ start: '2026-11-01', end: asOf });
    // the 2026-10-30 snapshot (999,999) falls in October's bucket now
    expect(ytd.byTimeBucket[9]?.pnlBrl.toFixed()).toBe('999999');
  });

  it('refuses P&L of positions it was not given, since the rows could not reconcile', () => {
    const f = monthFixture();
    expect(() => computeAttribution({ ...f, positions: f.positions.slice(1) })).toThrow(/not supplied/);
  });

  it('refuses a daily series that does not add up to the P&L by position', () => {
    const f = monthFixture();
    // As if a mark-to-market had landed between the two reads: 0.0001 more in the series only.
    const dailyPnl = [...f.dailyPnl, { date: asOf, pnlBrl: dec('0.0001') }];
    expect(() => computeAttribution({ ...f, dailyPnl })).toThrow(/aggregates disagree/);
  });
});

describe('computeAttribution: stats', () => {
  // AUM 100M, daily P&L +1M, −0.5M, +2M, −1.5M → returns 1%, −0.5%, 2%, −1.5%
  function statsOf(values: readonly number[]) {
    const p: Position = makePosition();
    const dates = businessDates('2026-11-02', values.length);
    const range = resolvePeriod('MTD', asOf, { inceptionDate });
    return computeAttribution({
      portfolio: makePortfolio({ aumBrl: dec(100_000_000) }),
      range,
      positions: [p],
      ...aggregateSnapshots(values.map((v, i) => makeSnapshot(p, dates[i] ?? asOf, v)), range),
      tradeTypeByPosition: new Map(),
    }).stats;
  }

  it('annualizes mean and sample volatility of daily returns on AUM', () => {
    const stats = statsOf([1_000_000, -500_000, 2_000_000, -1_500_000]);
    expect(stats.observations).toBe(4);
    // mean 0.25% × 252 = 63%
    expect(stats.annualizedReturnPct).toBeCloseTo(63, 10);
    // deviations ±0.75, ±1.75 → (2 × 0.5625 + 2 × 3.0625) / 3 = 2.41667; sqrt = 1.5545632%; × √252 = 24.6779254%
    expect(stats.annualizedVolatilityPct).toBeCloseTo(24.67792536, 7);
    // Sharpe = 63 / 24.6779254 = 2.55288883
    expect(stats.sharpe).toBeCloseTo(2.55288883, 7);
    // downside: sqrt((0.5² + 1.5²) / 4) = 0.7905694%; × √252 = 12.5499004%; Sortino = 63 / 12.5499 = 5.01996016
    expect(stats.sortino).toBeCloseTo(5.01996016, 7);
  });

  it('measures max drawdown from peak equity, win rate, profit factor and average win and loss', () => {
    const stats = statsOf([1_000_000, -500_000, 2_000_000, -1_500_000]);
    // equity 101M, 100.5M, 102.5M, 101M; worst fall 1.5M from the 102.5M peak = 1.4634146%
    expect(stats.maxDrawdownPct).toBeCloseTo(1.46341463, 7);
    // 2 winning days of 4 = 50%; profit factor (1M + 2M) / (0.5M + 1.5M) = 1.5
    expect(stats.winRatePct).toBe(50);
    expect(stats.profitFactor).toBe(1.5);
    // average win (1M + 2M) / 2 = 1.5M; average loss (−0.5M − 1.5M) / 2 = −1M
    expect(stats.averageWinBrl?.toFixed()).toBe('1500000');
    expect(stats.averageLossBrl?.toFixed()).toBe('-1000000');
  });

  it('leaves Sharpe, Sortino and profit factor null when they cannot be computed', () => {
    const single = statsOf([1_000_000]);
    expect(single.sharpe).toBeNull(); // one observation
    expect(single.sortino).toBeNull();
    expect(single.profitFactor).toBeNull(); // no losing day
    expect(single.averageLossBrl).toBeNull();
    const flat = statsOf([100, 100, 100]);
    expect(flat.sharpe).toBeNull(); // zero volatility
  });
});

describe('computeEquityCurve', () => {
  it('compounds nothing: equity is AUM plus cumulative P&L, returns are on AUM, drawdown on peak equity', () => {
    const daily = makeDailyPnl([
      ['2026-10-30', 7_000_000], // before the range: ignored
      ['2026-11-02', 1_000_000],
      ['2026-11-03', -500_000],
      ['2026-11-04', 2_000_000],
      ['2026-11-05', -1_500_000],
    ]);
    const curve = computeEquityCurve(dec(100_000_000), daily, { start: '2026-11-01', end: '2026-11-27' });
    expect(curve.map((p) => p.date)).toEqual(['2026-11-02', '2026-11-03', '2026-11-04', '2026-11-05']);
    // equity 101M, 100.5M, 102.5M, 101M
    expect(curve.map((p) => p.equityBrl.toFixed())).toEqual(['101000000', '100500000', '102500000', '101000000']);
    expect(curve.map((p) => p.dailyReturnPct)).toEqual([1, -0.5, 2, -1.5]);
    expect(curve.map((p) => p.cumulativeReturnPct)).toEqual([1, 0.5, 2.5, 1]);
    // drawdown: 0; 0.5M / 101M = 0.4950495%; 0; 1.5M / 102.5M = 1.4634146%
    const dd = curve.map((p) => p.drawdownPct);
    expect(dd[0]).toBe(0);
    expect(dd[1]).toBeCloseTo(0.49504950, 7);
    expect(dd[2]).toBe(0);
    expect(dd[3]).toBeCloseTo(1.46341463, 7);
  });
});
