import type { Decimal } from './decimal';
import { sum } from './decimal';
import type { AssetClass, Position } from './types';

/** Pre-trade limits applied when a proposal is approved (DOMAIN.md §3). */
export const PRE_TRADE_LIMITS = {
  maxNotionalBrl: 50_000_000,
  /** Post-trade gross leverage must stay strictly below this multiple of AUM. */
  maxGrossLeverage: 4,
  /** Post-trade weight of the trade's asset class in gross exposure, strictly below, in %. */
  maxAssetClassWeightPct: 50,
} as const;

export interface PreTradeCheck {
  readonly check: 'NOTIONAL' | 'GROSS_LEVERAGE' | 'ASSET_CLASS_WEIGHT';
  readonly value: number;
  readonly limit: number;
  readonly passed: boolean;
}

export interface PreTradeResult {
  readonly checks: readonly PreTradeCheck[];
  readonly grossLeverageBefore: number;
  readonly grossLeverageAfter: number;
  readonly assetClassWeightAfterPct: number;
}

/**
 * Evaluates a new trade of `notionalBrl` in `assetClass` against the open book. Gross exposure is
 * Σ|notional|; a new trade always adds to gross whatever its direction (positions are not netted).
 */
export function evaluatePreTrade(input: {
  readonly aumBrl: Decimal;
  readonly openPositions: readonly Pick<Position, 'notionalBrl' | 'assetClass'>[];
  readonly assetClass: AssetClass;
  readonly notionalBrl: Decimal;
}): PreTradeResult {
  const grossBefore = sum(input.openPositions.map((p) => p.notionalBrl.abs()));
  const grossAfter = grossBefore.plus(input.notionalBrl.abs());
  const classAfter = sum(
    input.openPositions.filter((p) => p.assetClass === input.assetClass).map((p) => p.notionalBrl.abs()),
  ).plus(input.notionalBrl.abs());
  const levBefore = grossBefore.div(input.aumBrl).toNumber();
  const levAfter = grossAfter.div(input.aumBrl).toNumber();
  const weightAfter = grossAfter.isZero() ? 0 : classAfter.div(grossAfter).times(100).toNumber();
  const notional = input.notionalBrl.toNumber();
  const L = PRE_TRADE_LIMITS;
  return {
    checks: [
      { check: 'NOTIONAL', value: notional, limit: L.maxNotionalBrl, passed: notional <= L.maxNotionalBrl },
      { check: 'GROSS_LEVERAGE', value: levAfter, limit: L.maxGrossLeverage, passed: levAfter < L.maxGrossLeverage },
      {
        check: 'ASSET_CLASS_WEIGHT',
        value: weightAfter,
        limit: L.maxAssetClassWeightPct,
        // The first trade of an empty book is 100% of its gross by definition: concentration is
        // only meaningful against exposure that already exists.
        passed: grossBefore.isZero() || weightAfter < L.maxAssetClassWeightPct,
      },
    ],
    grossLeverageBefore: levBefore,
    grossLeverageAfter: levAfter,
    assetClassWeightAfterPct: weightAfter,
  };
}
