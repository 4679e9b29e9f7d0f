import type { Cluster, Redis } from 'ioredis';
import {
  RateLimiterMemory, RateLimiterRedis, RateLimiterRes, RLWrapperTimeouts, type RateLimiterAbstract,
} from 'rate-limiter-flexible';

export interface RateLimitSettings {
  /** Requests a subject may make per window. */
  readonly points: number;
  readonly durationSeconds: number;
}

export type RateVerdict = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

const ALLOWED: RateVerdict = { allowed: true };

/** Points a subject holds locally, taken from the limiter in one call. */
interface Lease {
  remaining: number;
  /** End of the limiter's window the points were taken in (epoch ms). */
  expiresAt: number;
  /** Refused until then (the window in which the limiter ran out). */
  refusedUntil: number;
  taking: Promise<void> | null;
}

/** Past this many subjects, leases whose window has ended are dropped. */
const SWEEP_AT = 10_000;

/**
 * Per-subject rate limiting over rate-limiter-flexible: `points` requests per `durationSeconds`
 * window for each subject (the token's `sub`). Points are taken from the limiter in blocks (1% of
 * the limit, at least 1) and spent in process, so that a request asks the store (Redis, shared by
 * every instance) once per block rather than once each: the hit path keeps its single Redis round
 * trip. The price: a subject can be refused up to one block per instance before its limit, never
 * let past it. A store that fails or is slow (past `timeoutMs`) gives way to a limiter in memory,
 * per instance, and a failure of both lets the request through: the limiter must never be why a
 * request fails (ARCHITECTURE.md, invariant 2).
 */
export class SubjectRateLimiter {
  private readonly leases = new Map<string, Lease>();
  private readonly block: number;

  constructor(
    private readonly limiter: Pick<RateLimiterAbstract, 'consume'>,
    readonly settings: RateLimitSettings,
    private readonly now: () => number = Date.now,
  ) {
    this.block = Math.max(1, Math.floor(settings.points / 100));
  }

  /** Whether `subject` may make one more request now: synchronous while its block lasts. */
  take(subject: string): RateVerdict | Promise<RateVerdict> {
    const lease = this.leases.get(subject);
    const now = this.now();
    if (lease) {
      if (lease.refusedUntil > now) return { allowed: false, retryAfterSeconds: Math.ceil((lease.refusedUntil - now) / 1000) };
      if (lease.remaining > 0 && lease.expiresAt > now) {
        lease.remaining -= 1;
        return ALLOWED;
      }
      if (lease.taking) return lease.taking.then(() => this.take(subject));
    }
    return this.takeBlock(subject, lease).then(() => this.take(subject));
  }

  private takeBlock(subject: string, known: Lease | undefined): Promise<void> {
    if (!known && this.leases.size >= SWEEP_AT) this.sweep();
    const lease: Lease = known ?? { remaining: 0, expiresAt: 0, refusedUntil: 0, taking: null };
    this.leases.set(subject, lease);
    const startedAt = this.now();
    lease.taking = this.limiter.consume(subject, this.block).then(
      (taken) => {
        lease.remaining = this.block;
        lease.expiresAt = startedAt + taken.msBeforeNext;
      },
      (refusal: unknown) => {
        lease.remaining = 0;
        if (refusal instanceof RateLimiterRes) {
          // Fewer points left than a block: refused until the window ends (at most a block early).
          lease.refusedUntil = startedAt + Math.max(refusal.msBeforeNext, 1);
        } else {
          // The store and its insurance both failed: let this block through, and ask again in a second.
          lease.remaining = this.block;
          lease.expiresAt = startedAt + 1_000;
        }
      },
    ).finally(() => {
      lease.taking = null;
    });
    return lease.taking;
  }

  private sweep(): void {
    const now = this.now();
    for (const [subject, lease] of this.leases) {
      if (!lease.taking && lease.expiresAt <= now && lease.refusedUntil <= now) this.leases.delete(subject);
    }
  }
}

export interface RateLimiterStoreOptions {
  /** Redis (one node or a Cluster) shared by every instance; null: this process's memory. */
  readonly redis: Redis | Cluster | null;
  /** Bound of one call to Redis, ms; past it the limiter in memory answers. */
  readonly timeoutMs: number;
  readonly keyPrefix?: string;
}

export function createSubjectRateLimiter(settings: RateLimitSettings, store: RateLimiterStoreOptions): SubjectRateLimiter {
  const options = { points: settings.points, duration: settings.durationSeconds };
  const memory = new RateLimiterMemory({ ...options, keyPrefix: store.keyPrefix ?? 'pms-rate' });
  if (!store.redis) return new SubjectRateLimiter(memory, settings);
  const redis = new RateLimiterRedis({
    ...options,
    storeClient: store.redis,
    keyPrefix: store.keyPrefix ?? 'pms-rate',
    // Not connected: the insurance answers at once instead of a command waiting to fail.
    rejectIfRedisNotReady: true,
    insuranceLimiter: memory,
  });
  return new SubjectRateLimiter(new RLWrapperTimeouts({ limiter: redis, timeoutMs: store.timeoutMs, insuranceLimiter: memory }), settings);
}
