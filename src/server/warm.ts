import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Knex } from 'knex';
import { listActivePortfolios } from '../data/portfolio.repository';
import type { Clock } from '../domain/dates';
import type { Portfolio } from '../domain/types';
import { SCHEDULED_WARMING, type WriteThrough } from '../graphql/cache-policy';
import type { Context } from '../graphql/context';
import { assertNever, type CacheStore, type ResolverCache } from '../resolver-cache';
import type { Logger } from './logger';

/**
 * Scheduled cache warming: right after start (never before the listener is up) and every
 * interval, the book, live risk and MTD attribution of every active portfolio are computed into
 * the cache, so that the first read after a deploy or a Redis restart is a hit.
 *
 * - **Same keys, same guard as reads.** Each entry goes through `ResolverCache.warm`, the
 *   write-through's path: keyed by the policy's own identity functions (SCHEDULED_WARMING in
 *   cache-policy.ts) and stored under the generations read before computing, so a warm that races
 *   a write stores where no read looks (the cache's stale-set guard), never a stale value.
 * - **One instance per interval.** A run starts only with the store's lock `warm`, held for one
 *   interval and never released: whichever instance takes it warms, the others skip, and runs
 *   across every instance sharing the store are at least an interval apart. A holder that dies
 *   frees it by expiry. A store that cannot answer skips the run (reads compute, as without
 *   warming). A store without locks (a custom adapter) is taken to be this process's own.
 * - **Bounded.** `concurrency` computations at a time (2 by default): warming competes with
 *   requests for the database pool and the event loop.
 */
export interface WarmerOptions {
  readonly cache: ResolverCache<Context>;
  readonly store: CacheStore;
  readonly db: Knex;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Seconds between runs; 0: the warmer never runs by itself (runOnce still does). */
  readonly intervalSeconds: number;
  /** Computations in flight at once. Default 2. */
  readonly concurrency?: number;
  /** What to warm per portfolio. Default SCHEDULED_WARMING. */
  readonly coordinates?: Readonly<Record<string, WriteThrough>>;
}

/** Why a run did not warm anything. */
export type WarmSkipReason =
  /** Another instance (or this one, earlier in the interval) holds the lock. */
  | 'locked'
  /** The store did not answer the lock, or gave no generations. */
  | 'store-unavailable'
  /** The floors are not synced (the invalidation feed is down): the cache is bypassed anyway. */
  | 'unsynced'
  /** This instance's previous run has not finished. */
  | 'running'
  /** stop() was called. */
  | 'stopped';

export type WarmRun =
  | {
      readonly kind: 'completed';
      readonly portfolios: number;
      /** Entries computed and stored. */
      readonly fields: number;
      /** Computations that threw; the next read computes them. */
      readonly failures: number;
      /** Entries not computed because the store stopped answering during the run. */
      readonly unavailable: number;
      readonly durationMs: number;
    }
  | { readonly kind: 'skipped'; readonly reason: WarmSkipReason }
  /** Listing the portfolios failed (the database). */
  | { readonly kind: 'failed'; readonly error: unknown; readonly durationMs: number };

/** Counts since start, exported by /metrics (collected on scrape). */
export interface WarmerStats {
  /** Runs by outcome: `completed`, `failed`, or the skip reason. */
  readonly runs: ReadonlyMap<string, number>;
  /** Entries stored, by cached type. */
  readonly fields: ReadonlyMap<string, number>;
  /** Computations that failed, by cached type. */
  readonly failures: ReadonlyMap<string, number>;
  /** Duration of the last completed run, seconds (null before the first). */
  readonly lastDurationSeconds: number | null;
  /** Epoch ms when the last completed run ended (null before the first). */
  readonly lastCompletedAt: number | null;
  /** The last completed run's counts (null before the first). */
  readonly lastCompleted: Extract<WarmRun, { kind: 'completed' }> | null;
}

export const WARM_LOCK = 'warm';
const DEFAULT_CONCURRENCY = 2;

interface Job {
  readonly portfolio: Portfolio;
  readonly coordinate: string;
  readonly entry: WriteThrough;
}

export class CacheWarmer {
  /** Unique per warmer, several gateways share a process in tests: the lock's owner, for diagnostics. */
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly options: WarmerOptions;
  private readonly coordinates: Readonly<Record<string, WriteThrough>>;
  private readonly concurrency: number;
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<WarmRun> | null = null;
  private stopped = false;
  private readonly runs = new Map<string, number>();
  private readonly fields = new Map<string, number>();
  private readonly failures = new Map<string, number>();
  private lastDurationSeconds: number | null = null;
  private lastCompletedAt: number | null = null;
  private lastCompleted: Extract<WarmRun, { kind: 'completed' }> | null = null;

  constructor(options: WarmerOptions) {
    this.options = options;
    this.coordinates = options.coordinates ?? SCHEDULED_WARMING;
    this.concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) throw new RangeError('CacheWarmer: concurrency must be a positive integer');
    if (!(options.intervalSeconds >= 0)) throw new RangeError('CacheWarmer: intervalSeconds must be >= 0');
  }

  get stats(): WarmerStats {
    return {
      runs: this.runs,
      fields: this.fields,
      failures: this.failures,
      lastDurationSeconds: this.lastDurationSeconds,
      lastCompletedAt: this.lastCompletedAt,
      lastCompleted: this.lastCompleted,
    };
  }

  /**
   * Schedules the first run on the next turn of the event loop (the caller, start-up, does not
   * wait for it: readiness never does) and one every interval. Nothing with an interval of 0.
   */
  start(): void {
    const { intervalSeconds } = this.options;
    if (intervalSeconds === 0 || this.timer !== null || this.stopped) return;
    setImmediate(() => void this.tick());
    this.timer = setInterval(() => void this.tick(), intervalSeconds * 1000);
    // The schedule alone never keeps the process alive.
    this.timer.unref();
  }

  /** Stops the schedule; an ongoing run takes no new job and is awaited. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (this.current) await this.current;
  }

  /** One run now (the schedule's, or a test's): skipped if one is going on in this process. */
  runOnce(): Promise<WarmRun> {
    if (this.current) return Promise.resolve(this.count({ kind: 'skipped', reason: 'running' }));
    const run = this.run().then((result) => this.count(result));
    this.current = run;
    void run.finally(() => {
      if (this.current === run) this.current = null;
    });
    return run;
  }

  private async tick(): Promise<void> {
    const result = await this.runOnce();
    const { logger } = this.options;
    switch (result.kind) {
      case 'completed':
        logger.info({ warm: { portfolios: result.portfolios, fields: result.fields, failures: result.failures, unavailable: result.unavailable, durationMs: result.durationMs } }, 'cache warmed');
        return;
      case 'skipped':
        // Every instance but one skips each interval: not worth a line at info.
        logger.debug({ warm: { skipped: result.reason } }, 'cache warming skipped');
        return;
      case 'failed':
        logger.warn({ err: result.error, warm: { durationMs: result.durationMs } }, 'cache warming failed; reads compute as without it');
        return;
    }
  }

  private async run(): Promise<WarmRun> {
    const { cache, store, db, clock, intervalSeconds } = this.options;
    if (this.stopped) return { kind: 'skipped', reason: 'stopped' };
    if (!cache.floors.isSynced) return { kind: 'skipped', reason: 'unsynced' };
    if (store.acquireLock) {
      // Held a whole interval, never released (a run by hand without a schedule: one second,
      // enough to keep instances asked together from both running).
      const ttlMs = Math.max(1, intervalSeconds) * 1000;
      const lock = await store.acquireLock({ name: WARM_LOCK, owner: this.owner, ttlMs });
      switch (lock.kind) {
        case 'acquired':
          break;
        case 'held':
          return { kind: 'skipped', reason: 'locked' };
        case 'unavailable':
          return { kind: 'skipped', reason: 'store-unavailable' };
        default:
          return assertNever(lock);
      }
    }
    const started = performance.now();
    let portfolios: Portfolio[];
    try {
      portfolios = await listActivePortfolios(db);
    } catch (error) {
      return { kind: 'failed', error, durationMs: Math.round(performance.now() - started) };
    }
    const jobs: Job[] = portfolios.flatMap((portfolio) => Object.entries(this.coordinates).map(([coordinate, entry]) => ({ portfolio, coordinate, entry })));
    const tally = { fields: 0, failures: 0, unavailable: 0 };
    let next = 0;
    // `concurrency` workers taking the next job until none is left: bounded, no idle slot.
    const worker = async (): Promise<void> => {
      while (!this.stopped && next < jobs.length) {
        const job = jobs[next++]!;
        const typeName = cache.cachedFields.get(job.coordinate)?.typeName ?? job.coordinate;
        try {
          const outcome = await cache.warm(job.coordinate, job.portfolio.id, job.entry.args(clock, job.portfolio), () => job.entry.compute(db, clock, job.portfolio));
          if (outcome === 'stored') {
            tally.fields += 1;
            increment(this.fields, typeName);
          } else {
            tally.unavailable += 1;
          }
        } catch (error) {
          tally.failures += 1;
          increment(this.failures, typeName);
          this.options.logger.debug({ err: error, coordinate: job.coordinate, portfolioId: job.portfolio.id }, 'cache warming: a computation failed');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, jobs.length) }, worker));
    const durationMs = performance.now() - started;
    this.lastDurationSeconds = durationMs / 1000;
    this.lastCompletedAt = Date.now();
    this.lastCompleted = { kind: 'completed', portfolios: portfolios.length, ...tally, durationMs: Math.round(durationMs) };
    return this.lastCompleted;
  }

  private count(run: WarmRun): WarmRun {
    increment(this.runs, run.kind === 'skipped' ? run.reason : run.kind);
    return run;
  }
}

function increment(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}
