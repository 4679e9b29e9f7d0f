import { D, money, ZERO, type Decimal } from './decimal';
import type { AssetClass, Direction } from './types';
import { assertNever } from './types';

/** +1 for LONG, −1 for SHORT. */
export function sign(direction: Direction): 1 | -1 {
  switch (direction) {
    case 'LONG':
      return 1;
    case 'SHORT':
      return -1;
    default:
      return assertNever(direction, 'direction');
  }
}

/** Face value a PU is quoted against: DI1 and friends are priced per 100,000 BRL at maturity. */
export const PU_FACE = new D(100_000);

/**
 * PU of a pre-fixed rate: 100000 / (1 + r/100)^(du/252), r in % a.a. (252 business-day basis).
 * At or past maturity (du ≤ 0) the PU is the face value.
 */
export function puFromRate(ratePct: Decimal.Value, businessDays: number): Decimal {
  if (businessDays <= 0) return PU_FACE;
  const factor = new D(1).plus(new D(ratePct).div(100)).pow(new D(businessDays).div(252));
  return PU_FACE.div(factor);
}

export interface PnlInput {
  readonly assetClass: AssetClass;
  readonly direction: Direction;
  readonly notionalBrl: Decimal;
  readonly entryPrice: Decimal;
}

/**
 * P&L in BRL of a position marked at `price`, before costs.
 * RATES are PU-priced: a LONG (receive fixed) gains when the PU rises, i.e. when rates fall:
 *   (current − entry) × notional / 100000 × sign.
 * Everything else is a return on notional: notional × (current / entry − 1) × sign.
 */
export function pnlBrl(position: PnlInput, price: Decimal): Decimal {
  const s = sign(position.direction);
  if (position.assetClass === 'RATES') {
    return price.minus(position.entryPrice).times(position.notionalBrl).div(PU_FACE).times(s);
  }
  if (position.entryPrice.isZero()) return ZERO;
  return position.notionalBrl.times(price.div(position.entryPrice).minus(1)).times(s);
}

/** BRL → USD at `fx` BRL per USD. */
export function toUsd(brl: Decimal, fx: Decimal): Decimal {
  return fx.isZero() ? ZERO : brl.div(fx);
}

/** Cost per side in bps by instrument family: exact ticker first, then the longest matching prefix. */
export const COST_BPS: Readonly<Record<string, number>> = {
  DI1: 1.0,
  DDI: 1.5,
  DOL: 0.8,
  NDF: 2.0,
  USDBRL: 2.0,
  NTN_B: 3.0,
  LTN: 1.5,
  UST: 0.6,
  ZN: 1.1,
  ZF: 1.1,
  ES: 1.0,
  CDS_BR: 5.0,
  IBOV_FUT: 1.5,
};
export const DEFAULT_COST_BPS = 2.0;

/**
 * Resolves a value from a table keyed by ticker or ticker prefix: the exact ticker wins, then the
 * longest key the ticker starts with. Used for cost bps and for stress-scenario shocks.
 */
export function matchByTicker<T>(table: Readonly<Record<string, T>>, ticker: string): T | undefined {
  const exact = table[ticker];
  if (exact !== undefined) return exact;
  let best: string | undefined;
  for (const key of Object.keys(table)) {
    if (ticker.startsWith(key) && (best === undefined || key.length > best.length)) best = key;
  }
  return best === undefined ? undefined : table[best];
}

export function costBpsFor(ticker: string): Decimal {
  return new D(matchByTicker(COST_BPS, ticker) ?? DEFAULT_COST_BPS);
}

/**
 * One side's transaction cost: |notional| × bps / 10000, at the money scale (a 0.6 bps cost on a
 * notional in cents has 7 places). Charged on entry and again on exit: both sides round alike,
 * so a closed position's total cost is exactly twice its entry cost.
 */
export function transactionCost(notionalBrl: Decimal, costBps: Decimal): Decimal {
  return money(notionalBrl.abs().times(costBps).div(10_000));
}
