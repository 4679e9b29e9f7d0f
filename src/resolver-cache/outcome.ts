/** What the cache did for one field of one request; reported in `extensions.cache` and to hooks. */
export type CacheOutcome =
  | { readonly kind: 'hit'; readonly ageSeconds: number; readonly ttlSeconds: number }
  | { readonly kind: 'miss'; readonly ttlSeconds: number; readonly shared: boolean }
  | { readonly kind: 'bypass'; readonly reason: string };

export interface FieldReport {
  /** Response path of the field, e.g. `book` or `a.book` for an alias. */
  readonly path: string;
  readonly coordinate: string;
  readonly typeName: string;
  readonly status: CacheOutcome['kind'];
  readonly ageSeconds?: number;
  readonly ttlSeconds?: number;
  readonly reason?: string;
}

export function toReport(path: string, coordinate: string, typeName: string, outcome: CacheOutcome): FieldReport {
  switch (outcome.kind) {
    case 'hit':
      return { path, coordinate, typeName, status: 'hit', ageSeconds: outcome.ageSeconds, ttlSeconds: outcome.ttlSeconds };
    case 'miss':
      return { path, coordinate, typeName, status: 'miss', ageSeconds: 0, ttlSeconds: outcome.ttlSeconds };
    case 'bypass':
      return { path, coordinate, typeName, status: 'bypass', reason: outcome.reason };
  }
}

/** Observers of the cache: metrics, logs, tests' counters. All optional, all synchronous. */
export interface CacheHooks {
  onHit?(event: { coordinate: string; typeName: string; ageSeconds: number }): void;
  onMiss?(event: { coordinate: string; typeName: string; shared: boolean }): void;
  onBypass?(event: { coordinate: string; typeName: string; reason: string }): void;
  /** A store call failed or was skipped; the request went on as a miss. */
  onError?(event: { coordinate: string; typeName: string; operation: 'lookup' | 'put'; error: unknown }): void;
  /** A value was computed (by a request or by warming). */
  onCompute?(event: { coordinate: string; typeName: string }): void;
}
