import type { Clock } from '../../src/domain/dates';

/** A clock frozen at `iso` (a weekday afternoon in São Paulo by default), movable by tests. */
export function fixedClock(iso = '2026-11-20T15:00:00Z'): Clock & { set(iso: string): void; advance(ms: number): void; epochMs(): number } {
  let now = new Date(iso);
  return {
    now: () => new Date(now.getTime()),
    set: (next: string) => {
      now = new Date(next);
    },
    /** Moves the clock on by `ms` (a TTL, a linger, an age) instead of sleeping. */
    advance: (ms: number) => {
      now = new Date(now.getTime() + ms);
    },
    /** The clock in epoch ms: what a cache store built by a test takes as its `now`. */
    epochMs: () => now.getTime(),
  };
}
