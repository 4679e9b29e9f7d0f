import type { Clock } from '../../src/domain/dates';

/** A clock frozen at `iso` (a weekday afternoon in São Paulo by default), movable by tests. */
export function fixedClock(iso = '2026-11-20T15:00:00Z'): Clock & { set(iso: string): void } {
  let now = new Date(iso);
  return {
    now: () => new Date(now.getTime()),
    set: (next: string) => {
      now = new Date(next);
    },
  };
}
