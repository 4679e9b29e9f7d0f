import { requirePositiveAum } from './book';
import type { Decimal } from './decimal';
import { dec, MONEY_SCALE, sum, ZERO } from './decimal';
import {
  addDays,
  daysBetween,
  isIsoDate,
  startOfMonth,
  startOfQuarter,
  startOfWeek,
  startOfYear,
} from './dates';
import { InvalidInput } from './errors';
import type { DateRange } from './stats';
import {
  dailySeries,
  downsideDeviation,
  mean,
  percentOf,
  runningDrawdown,
  sampleStd,
  TRADING_DAYS_PER_YEAR,
} from './stats';
import type { AssetClass, DailyPnl, Direction, IsoDate, PnlSnapshot, Portfolio, Position } from './types';
import { ASSET_CLASSES, assertNever } from './types';

/*
 * Units: `...Brl` fields are exact Decimals; `...Pct` fields are percentages as plain numbers
 * (1.23 means 1.23%). A "contribution" is P&L over the portfolio's AUM; returns are on AUM too,
 * except returnOnNotionalPct, which is on the position's own notional.
 */

// ---------------------------------------------------------------------------------------------
// Periods

export const ATTRIBUTION_PERIODS = ['DAILY', 'WTD', 'MTD', 'QTD', 'YTD', 'INCEPTION', 'CUSTOM'] as const;
export type AttributionPeriod = (typeof ATTRIBUTION_PERIODS)[number];

/** An inclusive date range with its canonical key `PERIOD:start:end`, e.g. `MTD:2026-11-01:2026-11-27`. */
export interface PeriodRange extends DateRange {
  readonly period: AttributionPeriod;
  readonly key: string;
}

export interface ResolvePeriodOptions {
  /** CUSTOM only: first day, inclusive. */
  readonly from?: IsoDate;
  /** CUSTOM only: last day, inclusive. */
  readonly to?: IsoDate;
  /** Start of INCEPTION. */
  readonly inceptionDate: IsoDate;
}

/** The longest CUSTOM period that may start before the portfolio's inception. */
export const CUSTOM_MAX_YEARS = 10;
const CUSTOM_MAX_DAYS = Math.ceil(CUSTOM_MAX_YEARS * 365.25);

/**
 * The dates a period covers. Named periods end at `asOf` (DAILY is [asOf, asOf]; WTD starts on
 * the ISO Monday); CUSTOM takes `from` and `to` as given and requires both, in order, at most
 * CUSTOM_MAX_YEARS apart unless `from` is on or after the inception date.
 * @throws InvalidInput naming the argument at fault.
 */
export function resolvePeriod(period: AttributionPeriod, asOf: IsoDate, opts: ResolvePeriodOptions): PeriodRange {
  requireIsoDate('asOf', asOf);
  const range = periodDates(period, asOf, opts);
  return { period, start: range.start, end: range.end, key: `${period}:${range.start}:${range.end}` };
}

function periodDates(period: AttributionPeriod, asOf: IsoDate, opts: ResolvePeriodOptions): DateRange {
  switch (period) {
    case 'DAILY':
      return { start: asOf, end: asOf };
    case 'WTD':
      return { start: startOfWeek(asOf), end: asOf };
    case 'MTD':
      return { start: startOfMonth(asOf), end: asOf };
    case 'QTD':
      return { start: startOfQuarter(asOf), end: asOf };
    case 'YTD':
      return { start: startOfYear(asOf), end: asOf };
    case 'INCEPTION':
      requireIsoDate('inceptionDate', opts.inceptionDate);
      if (opts.inceptionDate > asOf) {
        throw new InvalidInput('asOf', `asOf ${asOf} is before the portfolio's inception on ${opts.inceptionDate}`);
      }
      return { start: opts.inceptionDate, end: asOf };
    case 'CUSTOM': {
      const { from, to } = opts;
      if (from === undefined) throw new InvalidInput('from', 'A CUSTOM period needs a from date');
      if (to === undefined) throw new InvalidInput('to', 'A CUSTOM period needs a to date');
      requireIsoDate('from', from);
      requireIsoDate('to', to);
      if (from > to) throw new InvalidInput('from', `from ${from} is after to ${to}`);
      // Bounded work: at most ten years, or any range within the portfolio's life (INCEPTION's).
      if (daysBetween(from, to) > CUSTOM_MAX_DAYS && from < opts.inceptionDate) {
        throw new InvalidInput(
          'from',
          `A CUSTOM period spans at most ${CUSTOM_MAX_YEARS} years unless it starts on or after the portfolio's inception (${opts.inceptionDate})`,
        );
      }
      return { start: from, end: to };
    }
    default:
      return assertNever(period, 'attribution period');
  }
}

function requireIsoDate(field: string, value: string): void {
  if (!isIsoDate(value)) throw new InvalidInput(field, `${field} must be an ISO date YYYY-MM-DD, got "${value}"`);
}

// ---------------------------------------------------------------------------------------------
// Classification tables

export const TRADE_TYPES = ['SYSTEMATIC', 'DISCRETIONARY'] as const;
export type TradeType = (typeof TRADE_TYPES)[number];

export const FACTOR_TAGS = [
  'carry',
  'momentum',
  'mean-reversion',
  'event-driven',
  'relative-value',
  'macro-discretionary',
  'untagged',
] as const;
export type FactorTag = (typeof FACTOR_TAGS)[number];

/**
 * The factor each strategy harvests. One tag per strategy so that the by-factor breakdown is a
 * regrouping of the by-strategy rows and reconciles with them exactly. Unknown ids → untagged.
 */
export const STRATEGY_FACTORS: Readonly<Record<string, Exclude<FactorTag, 'untagged'>>> = {
  RATES_BR_01: 'carry', // DI curve carry and roll-down
  RATES_BR_02: 'momentum', // DI trend following
  RATES_BR_03: 'mean-reversion', // curve slope reverting to its range
  RATES_BR_04: 'event-driven', // Copom meetings
  FX_BR_01: 'carry', // BRL carry against the dollar
  FX_02: 'momentum',
  FX_03: 'mean-reversion',
  FX_04: 'relative-value', // BRL against an EM basket
  FX_05: 'macro-discretionary',
  INF_BR_01: 'carry', // NTN-B real carry
  INF_02: 'relative-value', // breakevens: NTN-B against DI
  INF_03: 'event-driven', // IPCA prints
  CUPOM_01: 'carry', // onshore dollar rate carry
  CUPOM_02: 'relative-value', // cupom cambial against offshore rates
  SOV_BR_01: 'relative-value', // Brazil sovereign curve against CDS
  SOV_01: 'carry',
  SOV_02: 'momentum',
  SOV_03: 'event-driven', // rating actions, elections
  CROSS_01: 'macro-discretionary',
  CROSS_02: 'mean-reversion',
};

/** The strategy row for P&L of positions without any strategy id or weight. */
export const UNASSIGNED_STRATEGY = 'UNASSIGNED';

/**
 * Decimal places a strategy split is rounded to: the money scale, like every money figure served.
 * Rounding the pieces to a fixed scale keeps every addend short enough that 40-digit Decimal sums
 * are exact, which is what lets the breakdowns reconcile to the last digit (the last piece takes
 * the remainder).
 */
const SPLIT_DECIMAL_PLACES = MONEY_SCALE;

/**
 * Volatility (as a fraction) below which a ratio over it is not reported: a constant series can
 * leave a float residue of ~1e-19 instead of 0, which would give an absurd Sharpe.
 */
const NEGLIGIBLE_VOLATILITY = 1e-12;

/** Days in the range, both ends counted, up to which time buckets are weeks; longer ranges use months. */
const WEEKLY_BUCKETS_MAX_DAYS = 90;

// ---------------------------------------------------------------------------------------------
// Result types

/**
 * The P&L side of the input is two aggregates of the portfolio's snapshots in the range, not the
 * snapshots themselves: a large book has tens of thousands of rows per period, and attribution
 * needs only these sums (the database computes them; `aggregateSnapshots` does it in memory).
 * Both must come from the same snapshots: `computeAttribution` checks that their totals agree.
 */
export interface AttributionInput {
  readonly portfolio: Portfolio;
  readonly range: PeriodRange;
  /** Every position in `pnlByPosition` (more are allowed); positions without P&L are left out of the rows. */
  readonly positions: readonly Position[];
  /** Σ dailyPnlBrl of each position's snapshots in [range.start, range.end], by position id. */
  readonly pnlByPosition: ReadonlyMap<string, Decimal>;
  /** Σ dailyPnlBrl per date of the portfolio's snapshots; dates outside the range are ignored. */
  readonly dailyPnl: readonly DailyPnl[];
  /** Positions missing from the map count as DISCRETIONARY: no systematic signal opened them. */
  readonly tradeTypeByPosition: ReadonlyMap<string, TradeType>;
}

/** The P&L aggregates `AttributionInput` takes. */
export interface PnlAggregates {
  readonly pnlByPosition: Map<string, Decimal>;
  readonly dailyPnl: DailyPnl[];
}

/**
 * Builds the P&L aggregates of `AttributionInput` from snapshot rows: only snapshots within
 * [range.start, range.end] (inclusive) count. The in-memory equivalent of the repository's
 * `sumPnlByPosition` and `dailyPnlSeries`, for callers (and tests) that hold the rows.
 */
export function aggregateSnapshots(
  snapshots: readonly Pick<PnlSnapshot, 'date' | 'positionId' | 'dailyPnlBrl'>[],
  range: DateRange,
): PnlAggregates {
  const inRange = snapshots.filter((s) => s.date >= range.start && s.date <= range.end);
  const pnlByPosition = new Map<string, Decimal>();
  for (const s of inRange) {
    pnlByPosition.set(s.positionId, (pnlByPosition.get(s.positionId) ?? ZERO).plus(s.dailyPnlBrl));
  }
  return { pnlByPosition, dailyPnl: dailySeries(inRange.map((s) => ({ date: s.date, pnlBrl: s.dailyPnlBrl })), range) };
}

export interface StrategyAttribution {
  readonly strategyId: string;
  readonly factor: FactorTag;
  readonly pnlBrl: Decimal;
  /** pnl / AUM × 100. */
  readonly contributionPct: number;
  /** Positions with a share in this strategy. */
  readonly tradesCount: number;
  /** % of those positions whose whole P&L in the period is > 0. */
  readonly winRatePct: number;
}

export interface AssetClassAttribution {
  readonly assetClass: AssetClass;
  readonly pnlBrl: Decimal;
  readonly contributionPct: number;
  readonly positionsCount: number;
}

export interface InstrumentAttribution {
  readonly positionId: string;
  readonly ticker: string;
  readonly assetClass: AssetClass;
  readonly direction: Direction;
  readonly notionalBrl: Decimal;
  readonly pnlBrl: Decimal;
  readonly contributionPct: number;
  /** pnl / notional × 100. */
  readonly returnOnNotionalPct: number;
  /** Calendar days from entryDate to closedAt when it closed within the range, else to the range end. */
  readonly holdingDays: number;
  readonly tradeType: TradeType;
}

export interface FactorAttribution {
  readonly factor: FactorTag;
  readonly pnlBrl: Decimal;
  readonly contributionPct: number;
  readonly strategyIds: readonly string[];
}

export type TimeBucketGranularity = 'WEEK' | 'MONTH';

export interface TimeBucketAttribution {
  /** First day of the bucket, clipped to the range. */
  readonly start: IsoDate;
  /** Last day of the bucket, clipped to the range. */
  readonly end: IsoDate;
  readonly pnlBrl: Decimal;
  /** Σ pnl of this and every earlier bucket in the range. */
  readonly cumulativePnlBrl: Decimal;
  readonly contributionPct: number;
}

export interface TradeTypeAttribution {
  readonly tradeType: TradeType;
  readonly pnlBrl: Decimal;
  readonly contributionPct: number;
  readonly positionsCount: number;
}

/** Statistics over the portfolio's daily returns on AUM (Σ dailyPnl per date / AUM) in range. */
export interface PerformanceStats {
  /** Dates with at least one snapshot in range. */
  readonly observations: number;
  /** mean daily return × 252, %; 0 without observations. */
  readonly annualizedReturnPct: number;
  /** sample std × √252, %; 0 with fewer than 2 observations. */
  readonly annualizedVolatilityPct: number;
  /** annualized return / annualized volatility (rf = 0); null when vol is 0 or n < 2. */
  readonly sharpe: number | null;
  /** annualized return / (downside deviation × √252); null when that deviation is 0 or n < 2. */
  readonly sortino: number | null;
  /** Largest fall of equity (AUM + cumulative P&L) from its peak, % of the peak. */
  readonly maxDrawdownPct: number;
  /** % of days with P&L > 0; null without observations. */
  readonly winRatePct: number | null;
  /** Σ gains / |Σ losses| over days; null when no day lost. */
  readonly profitFactor: number | null;
  /** Mean P&L of winning days; null when none. */
  readonly averageWinBrl: Decimal | null;
  /** Mean P&L of losing days (negative); null when none. */
  readonly averageLossBrl: Decimal | null;
}

export interface Attribution {
  readonly portfolioId: string;
  readonly range: PeriodRange;
  readonly aumBrl: Decimal;
  /** Σ dailyPnl of every snapshot in range: realized P&L enters through the close-day snapshot. */
  readonly totalPnlBrl: Decimal;
  /** total / AUM × 100. */
  readonly totalReturnPct: number;
  /** By strategy id, alphabetical. */
  readonly byStrategy: readonly StrategyAttribution[];
  /** Classes present, in ASSET_CLASSES order. */
  readonly byAssetClass: readonly AssetClassAttribution[];
  /** One row per position, best P&L first. */
  readonly byInstrument: readonly InstrumentAttribution[];
  /** Tags present, in FACTOR_TAGS order. */
  readonly byFactor: readonly FactorAttribution[];
  readonly timeBucketGranularity: TimeBucketGranularity;
  /** Every bucket of the range in date order, including those without P&L. */
  readonly byTimeBucket: readonly TimeBucketAttribution[];
  /** Both trade types, in TRADE_TYPES order. */
  readonly byTradeType: readonly TradeTypeAttribution[];
  readonly stats: PerformanceStats;
}

// ---------------------------------------------------------------------------------------------
// Attribution

interface PositionPnl {
  readonly position: Position;
  readonly pnlBrl: Decimal;
  readonly tradeType: TradeType;
}

/**
 * Breaks the period's P&L down by strategy, asset class, instrument, factor, time bucket and
 * trade type. Every breakdown sums exactly (Decimal equality) to `totalPnlBrl`.
 */
export function computeAttribution(input: AttributionInput): Attribution {
  const { portfolio, range } = input;
  const aumBrl = portfolio.aumBrl;
  requirePositiveAum(aumBrl);
  const contributionPct = (pnl: Decimal): number => percentOf(pnl, aumBrl);

  const positionsById = new Map(input.positions.map((p) => [p.id, p]));

  // P&L per position = Σ dailyPnl of its snapshots in range. The close-day snapshot's dailyPnl
  // already carries the realized amount (fix), so realizedPnlBrl is not added again.
  const positionPnls: PositionPnl[] = [];
  for (const [positionId, pnlBrl] of input.pnlByPosition) {
    const position = positionsById.get(positionId);
    if (position === undefined) {
      // A contract violation by the caller, not user input: the breakdowns could not reconcile.
      throw new Error(`Position ${positionId} has P&L in the range but was not supplied among the positions`);
    }
    positionPnls.push({ position, pnlBrl, tradeType: input.tradeTypeByPosition.get(positionId) ?? 'DISCRETIONARY' });
  }

  const totalPnlBrl = sum(positionPnls.map((p) => p.pnlBrl));
  const daily = dailySeries(input.dailyPnl, range);
  if (!sum(daily.map((d) => d.pnlBrl)).eq(totalPnlBrl)) {
    // Also a contract violation: the two aggregates were not summed from the same snapshots (a
    // write between two unsynchronized reads), and the time buckets would not reconcile.
    throw new Error('The daily P&L in range does not add up to the P&L by position: the aggregates disagree');
  }
  const byStrategy = attributeByStrategy(positionPnls, contributionPct);
  const timeBucketGranularity: TimeBucketGranularity =
    daysBetween(range.start, range.end) + 1 <= WEEKLY_BUCKETS_MAX_DAYS ? 'WEEK' : 'MONTH';

  return {
    portfolioId: portfolio.id,
    range,
    aumBrl,
    totalPnlBrl,
    totalReturnPct: contributionPct(totalPnlBrl),
    byStrategy,
    byAssetClass: attributeByAssetClass(positionPnls, contributionPct),
    byInstrument: attributeByInstrument(positionPnls, range, contributionPct),
    byFactor: attributeByFactor(byStrategy, contributionPct),
    timeBucketGranularity,
    byTimeBucket: attributeByTimeBucket(daily, range, timeBucketGranularity, contributionPct),
    byTradeType: attributeByTradeType(positionPnls, contributionPct),
    stats: performanceStats(aumBrl, daily, range),
  };
}

/**
 * Splits a position's P&L across its strategies: by strategyWeights normalized to sum 1 (only
 * finite, positive weights count), else equally across strategyIds, else all to UNASSIGNED.
 * Pieces are rounded to SPLIT_DECIMAL_PLACES and the last strategy (alphabetically) takes the
 * remainder, so the pieces always add up to the position's P&L exactly.
 */
export function splitByStrategy(
  position: Pick<Position, 'strategyIds' | 'strategyWeights'>,
  pnlBrl: Decimal,
): { strategyId: string; pnlBrl: Decimal }[] {
  const weights = strategyWeightsOf(position);
  if (weights.length === 0) return [{ strategyId: UNASSIGNED_STRATEGY, pnlBrl }];
  const totalWeight = sum(weights.map((w) => w.weight));
  const pieces: { strategyId: string; pnlBrl: Decimal }[] = [];
  let allocated = ZERO;
  weights.forEach(({ strategyId, weight }, i) => {
    const piece =
      i === weights.length - 1
        ? pnlBrl.minus(allocated)
        : pnlBrl.times(weight).div(totalWeight).toDecimalPlaces(SPLIT_DECIMAL_PLACES);
    allocated = allocated.plus(piece);
    pieces.push({ strategyId, pnlBrl: piece });
  });
  return pieces;
}

function strategyWeightsOf(
  position: Pick<Position, 'strategyIds' | 'strategyWeights'>,
): { strategyId: string; weight: Decimal }[] {
  const byId = (a: { strategyId: string }, b: { strategyId: string }): number =>
    a.strategyId < b.strategyId ? -1 : a.strategyId > b.strategyId ? 1 : 0;
  const weighted = Object.entries(position.strategyWeights ?? {})
    .filter(([, w]) => Number.isFinite(w) && w > 0)
    .map(([strategyId, w]) => ({ strategyId, weight: dec(w) }))
    .sort(byId);
  if (weighted.length > 0) return weighted;
  return [...new Set(position.strategyIds)].map((strategyId) => ({ strategyId, weight: dec(1) })).sort(byId);
}

function attributeByStrategy(
  positionPnls: readonly PositionPnl[],
  contributionPct: (pnl: Decimal) => number,
): StrategyAttribution[] {
  const rows = new Map<string, { pnlBrl: Decimal; trades: number; wins: number }>();
  for (const { position, pnlBrl } of positionPnls) {
    for (const piece of splitByStrategy(position, pnlBrl)) {
      const row = rows.get(piece.strategyId) ?? { pnlBrl: ZERO, trades: 0, wins: 0 };
      rows.set(piece.strategyId, {
        pnlBrl: row.pnlBrl.plus(piece.pnlBrl),
        trades: row.trades + 1,
        // A trade wins on its whole P&L, not on its share: a 1/3 share of a winner is a winner.
        wins: row.wins + (pnlBrl.gt(0) ? 1 : 0),
      });
    }
  }
  return [...rows.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([strategyId, row]) => ({
      strategyId,
      factor: STRATEGY_FACTORS[strategyId] ?? 'untagged',
      pnlBrl: row.pnlBrl,
      contributionPct: contributionPct(row.pnlBrl),
      tradesCount: row.trades,
      winRatePct: (row.wins / row.trades) * 100,
    }));
}

function attributeByAssetClass(
  positionPnls: readonly PositionPnl[],
  contributionPct: (pnl: Decimal) => number,
): AssetClassAttribution[] {
  const rows: AssetClassAttribution[] = [];
  for (const assetClass of ASSET_CLASSES) {
    const inClass = positionPnls.filter((p) => p.position.assetClass === assetClass);
    if (inClass.length === 0) continue;
    const pnlBrl = sum(inClass.map((p) => p.pnlBrl));
    rows.push({ assetClass, pnlBrl, contributionPct: contributionPct(pnlBrl), positionsCount: inClass.length });
  }
  return rows;
}

function attributeByInstrument(
  positionPnls: readonly PositionPnl[],
  range: DateRange,
  contributionPct: (pnl: Decimal) => number,
): InstrumentAttribution[] {
  return positionPnls
    .map(({ position: p, pnlBrl, tradeType }) => ({
      positionId: p.id,
      ticker: p.ticker,
      assetClass: p.assetClass,
      direction: p.direction,
      notionalBrl: p.notionalBrl,
      pnlBrl,
      contributionPct: contributionPct(pnlBrl),
      returnOnNotionalPct: percentOf(pnlBrl, p.notionalBrl),
      // A close after the range end is in the range's future: the position was open throughout,
      // and a point-in-time attribution must not reveal when it closed.
      holdingDays: Math.max(0, daysBetween(p.entryDate, p.closedAt !== null && p.closedAt <= range.end ? p.closedAt : range.end)),
      tradeType,
    }))
    .sort((a, b) => b.pnlBrl.comparedTo(a.pnlBrl) || (a.positionId < b.positionId ? -1 : 1));
}

function attributeByFactor(
  byStrategy: readonly StrategyAttribution[],
  contributionPct: (pnl: Decimal) => number,
): FactorAttribution[] {
  const rows: FactorAttribution[] = [];
  for (const factor of FACTOR_TAGS) {
    const strategies = byStrategy.filter((s) => s.factor === factor);
    if (strategies.length === 0) continue;
    const pnlBrl = sum(strategies.map((s) => s.pnlBrl));
    rows.push({ factor, pnlBrl, contributionPct: contributionPct(pnlBrl), strategyIds: strategies.map((s) => s.strategyId) });
  }
  return rows;
}

function attributeByTimeBucket(
  daily: readonly DailyPnl[],
  range: DateRange,
  granularity: TimeBucketGranularity,
  contributionPct: (pnl: Decimal) => number,
): TimeBucketAttribution[] {
  const rows: TimeBucketAttribution[] = [];
  let cumulative = ZERO;
  for (const bucket of timeBuckets(range, granularity)) {
    const pnlBrl = sum(daily.filter((d) => d.date >= bucket.start && d.date <= bucket.end).map((d) => d.pnlBrl));
    cumulative = cumulative.plus(pnlBrl);
    rows.push({ ...bucket, pnlBrl, cumulativePnlBrl: cumulative, contributionPct: contributionPct(pnlBrl) });
  }
  return rows;
}

/** ISO weeks (Monday to Sunday) or calendar months covering the range, clipped to it. */
export function timeBuckets(range: DateRange, granularity: TimeBucketGranularity): DateRange[] {
  const buckets: DateRange[] = [];
  let cursor = range.start;
  while (cursor <= range.end) {
    const naturalEnd = bucketEnd(cursor, granularity);
    const end = naturalEnd < range.end ? naturalEnd : range.end;
    buckets.push({ start: cursor, end });
    cursor = addDays(end, 1);
  }
  return buckets;
}

function bucketEnd(date: IsoDate, granularity: TimeBucketGranularity): IsoDate {
  switch (granularity) {
    case 'WEEK':
      return addDays(startOfWeek(date), 6);
    case 'MONTH':
      // Day 1 + 31 days always lands in the next month; its first day minus one is month end.
      return addDays(startOfMonth(addDays(startOfMonth(date), 31)), -1);
    default:
      return assertNever(granularity, 'time bucket granularity');
  }
}

function attributeByTradeType(
  positionPnls: readonly PositionPnl[],
  contributionPct: (pnl: Decimal) => number,
): TradeTypeAttribution[] {
  return TRADE_TYPES.map((tradeType) => {
    const ofType = positionPnls.filter((p) => p.tradeType === tradeType);
    const pnlBrl = sum(ofType.map((p) => p.pnlBrl));
    return { tradeType, pnlBrl, contributionPct: contributionPct(pnlBrl), positionsCount: ofType.length };
  });
}

function performanceStats(aumBrl: Decimal, daily: readonly DailyPnl[], range: DateRange): PerformanceStats {
  const n = daily.length;
  const returns = daily.map((d) => d.pnlBrl.div(aumBrl).toNumber());
  const annualizedReturn = mean(returns) * TRADING_DAYS_PER_YEAR;
  const annualizedVolatility = sampleStd(returns) * Math.sqrt(TRADING_DAYS_PER_YEAR);
  const annualizedDownside = downsideDeviation(returns) * Math.sqrt(TRADING_DAYS_PER_YEAR);

  const wins = daily.filter((d) => d.pnlBrl.gt(0)).map((d) => d.pnlBrl);
  const losses = daily.filter((d) => d.pnlBrl.lt(0)).map((d) => d.pnlBrl);
  const grossWin = sum(wins);
  const grossLoss = sum(losses).abs();
  const curve = computeEquityCurve(aumBrl, daily, range);

  return {
    observations: n,
    annualizedReturnPct: annualizedReturn * 100,
    annualizedVolatilityPct: annualizedVolatility * 100,
    sharpe: n >= 2 && annualizedVolatility > NEGLIGIBLE_VOLATILITY ? annualizedReturn / annualizedVolatility : null,
    sortino: n >= 2 && annualizedDownside > NEGLIGIBLE_VOLATILITY ? annualizedReturn / annualizedDownside : null,
    maxDrawdownPct: curve.reduce((max, p) => Math.max(max, p.drawdownPct), 0),
    winRatePct: n === 0 ? null : (wins.length / n) * 100,
    profitFactor: grossLoss.isZero() ? null : grossWin.div(grossLoss).toNumber(),
    averageWinBrl: wins.length === 0 ? null : grossWin.div(wins.length),
    averageLossBrl: losses.length === 0 ? null : sum(losses).div(losses.length),
  };
}

// ---------------------------------------------------------------------------------------------
// Equity curve

export interface EquityPoint {
  readonly date: IsoDate;
  readonly pnlBrl: Decimal;
  /** AUM + cumulative P&L since the range start. */
  readonly equityBrl: Decimal;
  /**
   * pnl / AUM × 100: on AUM, like every return in the fund, so daily returns add up to the
   * cumulative return.
   */
  readonly dailyReturnPct: number;
  /** cumulative P&L / AUM × 100. */
  readonly cumulativeReturnPct: number;
  /** (peak equity − equity) / peak equity × 100; the peak starts at AUM. */
  readonly drawdownPct: number;
}

/** One point per date with P&L in the range (inclusive), in date order. */
export function computeEquityCurve(aumBrl: Decimal, dailyPnl: readonly DailyPnl[], range: DateRange): EquityPoint[] {
  requirePositiveAum(aumBrl);
  const daily = dailySeries(dailyPnl, range);
  let running = aumBrl;
  const equity = daily.map((d) => (running = running.plus(d.pnlBrl)));
  const drawdowns = runningDrawdown(equity, aumBrl);
  const points: EquityPoint[] = [];
  daily.forEach((d, i) => {
    const equityBrl = equity[i];
    const dd = drawdowns[i];
    if (equityBrl === undefined || dd === undefined) return; // unreachable: same length as daily
    points.push({
      date: d.date,
      pnlBrl: d.pnlBrl,
      equityBrl,
      dailyReturnPct: percentOf(d.pnlBrl, aumBrl),
      cumulativeReturnPct: percentOf(equityBrl.minus(aumBrl), aumBrl),
      drawdownPct: percentOf(dd.drawdown, dd.peak),
    });
  });
  return points;
}
