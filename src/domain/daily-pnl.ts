import { ZERO, type Decimal } from './decimal';
import type { PnlSnapshot } from './types';

/**
 * A position's P&L for one day, in BRL: what it stands at that day (its unrealized P&L at the
 * day's mark, or its realized P&L after costs on the day it closes, when unrealized goes to zero)
 * minus the unrealized P&L of its latest snapshot before that day, zero when it has none (the
 * first mark after entry).
 *
 * Measured against the previous day's snapshot, never against the position's current mark: marking
 * one day twice replaces that day's figure instead of adding to it. And because the close day's
 * snapshot carries the realized amount, the daily figures over a position's life sum to its
 * realized P&L.
 */
export function dailyPnl(standingBrl: Decimal, previous: Pick<PnlSnapshot, 'unrealizedPnlBrl'> | null | undefined): Decimal {
  return standingBrl.minus(previous?.unrealizedPnlBrl ?? ZERO);
}
