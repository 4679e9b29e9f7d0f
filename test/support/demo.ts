/**
 * The business day the test suites seed demo funds up to. Demo instruments and their prices are
 * shared by every seeded fund, so all suites seed with this one date (a second date would rewrite
 * the shared closes of the overlapping days under the first fund's snapshots).
 */
export const DEMO_AS_OF = '2025-11-28';

/** Mid-afternoon in São Paulo on DEMO_AS_OF: "today" for suites that read the seeded funds. */
export const DEMO_NOW = '2025-11-28T18:00:00Z';
