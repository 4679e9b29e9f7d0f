/**
 * The plugin's clock: epoch milliseconds. Every decision of the plugin that depends on time (TTLs
 * of the memory store and of local copies, an entry's age, the single flight's linger, the
 * operation cache's memory of recent fills, the breaker's open period) reads one, injected: tests
 * move it instead of sleeping, and an application passes its own. A type of the plugin's own, so
 * that it imports nothing of the application's (its clock returns a Date, say: wrap it).
 */
export type Now = () => number;
// A test clock starts at a realistic epoch, never at 0: lru-cache, which times the plugin's TTLs
// on this clock, reads an entry started at 0 as one without a TTL.

/** The default: the system's wall clock. */
export const systemNow: Now = () => Date.now();
