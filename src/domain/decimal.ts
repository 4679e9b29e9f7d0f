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

/** Rounds money to cents for storage and display; computation keeps full precision. */
export function money(value: Decimal): Decimal {
  return value.toDecimalPlaces(2, Decimal.ROUND_HALF_EVEN);
}

export { Decimal };
