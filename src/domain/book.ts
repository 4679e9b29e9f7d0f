import type { Decimal } from './decimal';
import { sum, ZERO } from './decimal';
import { startOfMonth, startOfYear } from './dates';
import { InvalidInput } from './errors';
import { sign } from './pricing';
import { pnlWithin } from './stats';
import type { AssetClass, DailyPnl, IsoDate, Portfolio, Position } from './types';
import { ASSET_CLASSES } from './types';

export interface BookInput {
  readonly portfolio: Portfolio;
  readonly asOf: IsoDate;
  /** Positions open at `asOf`, already marked: currentPrice and unrealized P&L are as of `asOf`. */
  readonly openPositions: readonly Position[];
  /** Positions closed on or before `asOf`. */
  readonly closedPositions: readonly Position[];
  /** The portfolio's daily P&L series; may run past `asOf`, the book bounds it. */
  readonly dailyPnl: readonly DailyPnl[];
}

/** Exposure of one asset class among the open positions. */
export interface AssetClassExposure {
  readonly assetClass: AssetClass;
  /** Number of open positions in the class. */
  readonly count: number;
  /** Σ |notional|, BRL. */
  readonly grossNotionalBrl: Decimal;
  readonly unrealizedPnlBrl: Decimal;
}

export interface BookSummary {
  readonly aumBrl: Decimal;
  /** Σ |notional| of open positions, BRL. */
  readonly grossExposureBrl: Decimal;
  /** Σ notional × sign (LONG +, SHORT −), BRL; negative when the book is net short. */
  readonly netExposureBrl: Decimal;
  /** gross / AUM, a multiple (1.5 = 1.5× AUM). */
  readonly grossLeverage: number;
  /** net / AUM, a signed multiple. */
  readonly netLeverage: number;
  readonly openPositions: number;
  /** Σ over open positions. */
  readonly unrealizedPnlBrl: Decimal;
  readonly unrealizedPnlUsd: Decimal;
  /** Σ over positions closed on or before `asOf`. */
  readonly realizedPnlBrl: Decimal;
  readonly realizedPnlUsd: Decimal;
  /** Σ daily P&L over [asOf, asOf]. */
  readonly pnlTodayBrl: Decimal;
  /** Σ daily P&L over [first of asOf's month, asOf]. */
  readonly pnlMtdBrl: Decimal;
  /** Σ daily P&L over [Jan 1 of asOf's year, asOf]. */
  readonly pnlYtdBrl: Decimal;
  /** Positions closed on `asOf` itself. */
  readonly closedToday: number;
}

export interface Book {
  readonly portfolioId: string;
  readonly asOf: IsoDate;
  /** The open positions, as given. */
  readonly positions: readonly Position[];
  /** One row per asset class present, in ASSET_CLASSES order. */
  readonly byAssetClass: readonly AssetClassExposure[];
  readonly summary: BookSummary;
}

/** Gross and net exposure of a set of positions, BRL. */
export interface Exposure {
  /** Σ |notional|. */
  readonly grossBrl: Decimal;
  /** Σ notional × sign = long − short. */
  readonly netBrl: Decimal;
  /** Σ notional of LONG positions. */
  readonly longBrl: Decimal;
  /** Σ notional of SHORT positions, as a positive amount. */
  readonly shortBrl: Decimal;
}

/** notional × sign: positive for LONG, negative for SHORT (notional itself is always positive). */
export function signedNotional(position: Pick<Position, 'direction' | 'notionalBrl'>): Decimal {
  return position.notionalBrl.times(sign(position.direction));
}

export function exposureOf(positions: readonly Pick<Position, 'direction' | 'notionalBrl'>[]): Exposure {
  let longBrl = ZERO;
  let shortBrl = ZERO;
  for (const p of positions) {
    // abs() guards a negative notional that slipped past validation: size is never signed.
    if (sign(p.direction) > 0) longBrl = longBrl.plus(p.notionalBrl.abs());
    else shortBrl = shortBrl.plus(p.notionalBrl.abs());
  }
  return { grossBrl: longBrl.plus(shortBrl), netBrl: longBrl.minus(shortBrl), longBrl, shortBrl };
}

/**
 * AUM is the denominator of every leverage and return figure; a zero or negative AUM would turn
 * them into Infinity or flip their sign, so it is refused rather than silently reported.
 */
export function requirePositiveAum(aumBrl: Decimal): void {
  if (!aumBrl.isFinite() || aumBrl.lte(0)) {
    throw new InvalidInput('aumBrl', `AUM must be positive to compute ratios on it, got ${aumBrl.toFixed()}`);
  }
}

export function computeBook(input: BookInput): Book {
  const { portfolio, asOf, openPositions, closedPositions, dailyPnl } = input;
  const aumBrl = portfolio.aumBrl;
  requirePositiveAum(aumBrl);

  const exposure = exposureOf(openPositions);

  const summary: BookSummary = {
    aumBrl,
    grossExposureBrl: exposure.grossBrl,
    netExposureBrl: exposure.netBrl,
    grossLeverage: exposure.grossBrl.div(aumBrl).toNumber(),
    netLeverage: exposure.netBrl.div(aumBrl).toNumber(),
    openPositions: openPositions.length,
    unrealizedPnlBrl: sum(openPositions.map((p) => p.unrealizedPnlBrl)),
    unrealizedPnlUsd: sum(openPositions.map((p) => p.unrealizedPnlUsd)),
    realizedPnlBrl: sum(closedPositions.map((p) => p.realizedPnlBrl)),
    realizedPnlUsd: sum(closedPositions.map((p) => p.realizedPnlUsd)),
    // Every window ends at asOf (fix: the older system summed snapshots past asOf into them).
    pnlTodayBrl: pnlWithin(dailyPnl, { start: asOf, end: asOf }),
    pnlMtdBrl: pnlWithin(dailyPnl, { start: startOfMonth(asOf), end: asOf }),
    pnlYtdBrl: pnlWithin(dailyPnl, { start: startOfYear(asOf), end: asOf }),
    closedToday: closedPositions.filter((p) => p.closedAt === asOf).length,
  };

  return {
    portfolioId: portfolio.id,
    asOf,
    positions: openPositions,
    byAssetClass: exposureByAssetClass(openPositions),
    summary,
  };
}

function exposureByAssetClass(positions: readonly Position[]): AssetClassExposure[] {
  const rows: AssetClassExposure[] = [];
  for (const assetClass of ASSET_CLASSES) {
    const inClass = positions.filter((p) => p.assetClass === assetClass);
    if (inClass.length === 0) continue;
    rows.push({
      assetClass,
      count: inClass.length,
      grossNotionalBrl: exposureOf(inClass).grossBrl,
      unrealizedPnlBrl: sum(inClass.map((p) => p.unrealizedPnlBrl)),
    });
  }
  return rows;
}
