import Decimal from 'decimal.js';

/**
 * Exact decimal arithmetic for money, prices, notionals and quantities.
 * 40 significant digits cover numeric(24,8) products without loss; banker's rounding
 * only applies where a value is explicitly rounded (toDecimalPlaces), never implicitly.
 */
export const D = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_EVEN });
export type D = Decimal;

export const ZERO = new D(0);

export function dec(value: Decimal.Value): Decimal {
  return new D(value);
}

export function sum(values: Iterable<Decimal>): Decimal {
  let total = ZERO;
  for (const v of values) total = total.plus(v);
  return total;
}

/**
 * Decimal places of every stored and served money figure (P&L, costs, USD conversions, stress):
 * the scale of the numeric(20,4) columns. One scale, so that a total served is the exact sum of
 * the stored figures it adds up (src/domain/README.md, "Money scale").
 */
export const MONEY_SCALE = 4;

/**
 * Rounds a money figure to MONEY_SCALE, half to even, before it is stored or summed. Rounding here
 * (not in Postgres, which rounds half away from zero when a value has more places than its column)
 * means the value a service reports is the value the row holds.
 */
export function money(value: Decimal): Decimal {
  return value.toDecimalPlaces(MONEY_SCALE, Decimal.ROUND_HALF_EVEN);
}

export { Decimal };
