import type { Decimal } from './decimal';
import { ZERO } from './decimal';
import type { DailyPnl, IsoDate } from './types';

/**
 * Small statistics and series helpers shared by risk and attribution. Everything here works on
 * plain numbers (returns as fractions: 0.01 = 1%) except the daily P&L series, which stays Decimal
 * because it is money.
 */

/** Trading days per year on the B3 252-business-day basis; used to annualize daily figures. */
export const TRADING_DAYS_PER_YEAR = 252;

/** Arithmetic mean; 0 for an empty sample (callers that need a minimum sample size check it first). */
export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  let total = 0;
  for (const x of xs) total += x;
  return total / xs.length;
}

/** Sample standard deviation (n − 1 denominator); 0 when there are fewer than 2 observations. */
export function sampleStd(xs: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mu = mean(xs);
  let squares = 0;
  for (const x of xs) squares += (x - mu) ** 2;
  return Math.sqrt(squares / (n - 1));
}

/**
 * Downside deviation for Sortino: sqrt(Σ min(x − target, 0)² / n) over ALL n observations (the
 * usual convention: days above target count as zero shortfall, they are not dropped). 0 for an
 * empty sample.
 */
export function downsideDeviation(xs: readonly number[], target = 0): number {
  if (xs.length === 0) return 0;
  let squares = 0;
  for (const x of xs) {
    const shortfall = Math.min(x - target, 0);
    squares += shortfall * shortfall;
  }
  return Math.sqrt(squares / xs.length);
}

export interface LowerTail {
  /** The k-th smallest observation: the empirical (1 − confidence) quantile. */
  readonly quantile: number;
  /** Mean of the k smallest observations (expected shortfall's tail). */
  readonly tailMean: number;
  /** k = ⌈n · (1 − confidence)⌉, at least 1. */
  readonly tailSize: number;
}

/**
 * The lower tail of an empirical distribution at `confidence` (0.95, 0.99).
 *
 * Quantile convention: the inverse of the empirical CDF, i.e. the smallest observation x_(k) with
 * k/n ≥ 1 − confidence, so k = ⌈n · (1 − confidence)⌉ (at least 1). No interpolation: the VaR is an
 * observed loss, and with 20 observations the 95% quantile is the single worst day. The tail mean
 * averages the same k observations, so CVaR ≥ VaR always holds.
 * Returns null for an empty sample.
 */
export function lowerTail(xs: readonly number[], confidence: number): LowerTail | null {
  const n = xs.length;
  if (n === 0) return null;
  const sorted = [...xs].sort((a, b) => a - b);
  // 1 − 0.95 is 0.050000000000000044 in binary floating point: without the epsilon, 20 × that
  // would ceil to 2 instead of 1.
  const k = Math.min(n, Math.max(1, Math.ceil(n * (1 - confidence) - 1e-9)));
  const tail = sorted.slice(0, k);
  const quantile = tail[k - 1];
  if (quantile === undefined) return null; // unreachable: 1 ≤ k ≤ n
  return { quantile, tailMean: mean(tail), tailSize: k };
}

export interface DrawdownPoint {
  /** Highest value seen so far, starting from the initial peak. */
  readonly peak: Decimal;
  /** peak − value, ≥ 0, in the units of the input. */
  readonly drawdown: Decimal;
}

/**
 * Running drawdown of a money path against its high-water mark, which starts at `initialPeak`
 * (0 for a cumulative P&L path, the starting AUM for an equity path): a path that starts by
 * losing is in drawdown from its first point. Kept in Decimal so that "back at the peak" is
 * exactly zero drawdown, never a float residue.
 */
export function runningDrawdown(values: readonly Decimal[], initialPeak: Decimal): DrawdownPoint[] {
  let peak = initialPeak;
  return values.map((value) => {
    if (value.gt(peak)) peak = value;
    return { peak, drawdown: peak.minus(value) };
  });
}

/** part / whole × 100 as a float; 0 when whole is zero (e.g. the share of an empty book). */
export function percentOf(part: Decimal, whole: Decimal): number {
  if (whole.isZero()) return 0;
  return part.div(whole).times(100).toNumber();
}

/** An inclusive range of ISO dates. */
export interface DateRange {
  readonly start: IsoDate;
  readonly end: IsoDate;
}

/** Inclusive bounds on a series; a missing side is unbounded. */
export interface SeriesBounds {
  readonly start?: IsoDate;
  readonly end?: IsoDate;
}

function within(date: IsoDate, bounds: SeriesBounds): boolean {
  // ISO YYYY-MM-DD strings order like the dates they name.
  return (bounds.start === undefined || date >= bounds.start) && (bounds.end === undefined || date <= bounds.end);
}

/**
 * The daily P&L series restricted to `bounds` (inclusive), one point per date (several points on
 * a date are summed), sorted by date. Callers pass series that may run past `asOf`; bounding here
 * is what keeps a figure "as of" a date.
 */
export function dailySeries(points: readonly DailyPnl[], bounds: SeriesBounds): DailyPnl[] {
  const byDate = new Map<IsoDate, Decimal>();
  for (const p of points) {
    if (!within(p.date, bounds)) continue;
    byDate.set(p.date, (byDate.get(p.date) ?? ZERO).plus(p.pnlBrl));
  }
  return [...byDate.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([date, pnlBrl]) => ({ date, pnlBrl }));
}

/** Σ pnl of the series within `bounds` (inclusive). */
export function pnlWithin(points: readonly DailyPnl[], bounds: SeriesBounds): Decimal {
  let total = ZERO;
  for (const p of points) if (within(p.date, bounds)) total = total.plus(p.pnlBrl);
  return total;
}
