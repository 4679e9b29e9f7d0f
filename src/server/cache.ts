import type { Knex } from 'knex';
import { commitFactGenerations } from '../data/fact-generation.repository';
import { epochMsOf, type Clock } from '../domain/dates';
import { createCachePolicy, MUTATION_FACTS, WRITE_THROUGH } from '../graphql/cache-policy';
import type { Context } from '../graphql/context';
import { MemoryStore, RedisStore, ResilientStore, ResolverCache, createRedisClient, factName, type CacheHooks, type CacheStore, type GenerationFloors, type Now } from '../resolver-cache';
import type { ChangeListener } from '../services/deps';
import { rememberedPortfolio, type PortfolioDirectory } from '../services/portfolios.service';
import type { CacheConfig } from './config';
import type { GenerationFeed } from './generation-feed';
import type { Logger } from './logger';

/** Hit, miss, bypass and error counts per cached type (the metrics endpoint exports them). */
export class CacheCounters {
  readonly byType = new Map<string, { hits: number; misses: number; bypasses: number; errors: number; computations: number }>();

  private of(typeName: string) {
    let counts = this.byType.get(typeName);
    if (!counts) {
      counts = { hits: 0, misses: 0, bypasses: 0, errors: 0, computations: 0 };
      this.byType.set(typeName, counts);
    }
    return counts;
  }

  readonly hooks: CacheHooks = {
    onHit: (e) => void this.of(e.typeName).hits++,
    onMiss: (e) => void this.of(e.typeName).misses++,
    onBypass: (e) => void this.of(e.typeName).bypasses++,
    onError: (e) => void this.of(e.typeName).errors++,
    onCompute: (e) => void this.of(e.typeName).computations++,
  };
}

/** The cache's clock (epoch ms) from the gateway's: entries, ages and lingers in the gateway's time. */
export function cacheNow(clock: Clock): Now {
  return epochMsOf(clock);
}

/**
 * The store the configuration asks for, behind timeouts and a circuit breaker. `now` times the
 * entries (the memory store's TTLs, Redis's local copies); the breaker keeps the system's clock:
 * its open period is a pause against a real store, measured beside real timers.
 */
export function createCacheStore(config: CacheConfig, logger: Logger, now?: Now): ResilientStore {
  let inner: CacheStore;
  switch (config.store.kind) {
    case 'memory':
      inner = new MemoryStore({ maxBytes: config.store.maxBytes, now });
      break;
    case 'redis':
    case 'redis-cluster': {
      const target = config.store.kind === 'redis' ? { kind: 'single' as const, url: config.store.url } : { kind: 'cluster' as const, nodes: config.store.nodes };
      // ioredis's own command timeout is only a backstop that frees a command Redis never
      // answers: the resilient store bounds every call by timeoutMs, and blames the store only
      // when its event loop was on time (ioredis's timer cannot tell).
      const commandTimeoutMs = Math.max(1_000, config.timeoutMs * 10);
      inner = new RedisStore(createRedisClient({ target, commandTimeoutMs, connectionName: 'pms-gateway' }), {
        localCopyMaxBytes: config.localCopyMaxBytes,
        now,
      });
      break;
    }
  }
  return new ResilientStore(inner, {
    timeoutMs: config.timeoutMs,
    failureThreshold: config.failureThreshold,
    openMs: config.openMs,
    // Logged once per change of state, never per request.
    onStateChange: (from, to, reason) => {
      const line = { cache: { from, to, reason } };
      if (to === 'closed') logger.info(line, 'cache store available again');
      else logger.warn(line, 'cache store unavailable: serving without cache');
    },
  });
}

export function createResolverCache(config: CacheConfig, store: CacheStore, counters: CacheCounters, floors: GenerationFloors, now?: Now): ResolverCache<Context> {
  return new ResolverCache<Context>({ store, policy: createCachePolicy(config.ttlOverrides), hooks: counters.hooks, floors, now });
}

/**
 * How long a writer whose store raise failed waits for its own commit's notification to come back
 * before it acknowledges: once it has, Postgres has sent it to every listening instance.
 */
const ANNOUNCEMENT_WAIT_MS = 1_000;


/**
 * The cache's part of every write. Inside the transaction: the new generations of the facts the
 * operation changes (as the policy says) are committed with the data and announced to every
 * instance (commitFactGenerations). After the commit, before the write is acknowledged: this
 * instance's floors and the store's counters are raised (other instances see the write through
 * the store at once); if the store could not take it, the writer waits until its own
 * notification came back (Postgres has then sent it to every instance); then write-through (the
 * book is recomputed and stored, so the next read is a hit with the new data).
 */
export function cacheChangeListener(
  cache: ResolverCache<Context>,
  feed: GenerationFeed,
  db: Knex,
  clock: Clock,
  logger: Logger,
  portfolios: PortfolioDirectory,
): ChangeListener {
  return {
    async record(trx, { operation, portfolioId }) {
      const kinds = MUTATION_FACTS[operation];
      const change = await commitFactGenerations(trx, portfolioId, kinds.map((k) => factName(k, portfolioId)));
      return async () => {
        if ((await cache.committed(portfolioId, change.generations)) === 'unavailable') {
          const heard = await feed.awaitAnnounced(change.generations, ANNOUNCEMENT_WAIT_MS);
          if (!heard) logger.warn({ operation, portfolioId }, 'cache: store not raised and the commit not heard back; other instances learn of it when their feed delivers it');
        }
        const warmed = Object.entries(WRITE_THROUGH).filter(([, entry]) => entry.facts.some((k) => kinds.includes(k)));
        if (warmed.length === 0) return;
        try {
          // The portfolio the write just resolved: remembered, no statement on the write's path.
          const portfolio = await rememberedPortfolio(portfolios, portfolioId);
          if (!portfolio) return;
          for (const [coordinate, entry] of warmed) {
            await cache.warm(coordinate, portfolio.id, entry.args(clock, portfolio), () => entry.compute(db, clock, portfolio));
          }
        } catch (error) {
          logger.warn({ err: error, operation, portfolioId }, 'cache: re-warming failed; the next read computes it');
        }
      };
    },
  };
}
