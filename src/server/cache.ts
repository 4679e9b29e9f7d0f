import type { Knex } from 'knex';
import { findPortfolioByRef } from '../data/portfolio.repository';
import { today, type Clock } from '../domain/dates';
import { createCachePolicy, MUTATION_FACTS, TYPE_FACTS } from '../graphql/cache-policy';
import type { Context } from '../graphql/context';
import type { CacheHooks } from '../resolver-cache/outcome';
import { ResolverCache } from '../resolver-cache/resolver-cache';
import type { CacheStore } from '../resolver-cache/store/cache-store';
import { MemoryStore } from '../resolver-cache/store/memory-store';
import { createRedisClient } from '../resolver-cache/store/redis-client';
import { RedisStore } from '../resolver-cache/store/redis-store';
import { ResilientStore } from '../resolver-cache/store/resilient-store';
import { loadBook } from '../services/book.service';
import type { ChangeListener } from '../services/deps';
import type { CacheConfig } from './config';
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

/** The store the configuration asks for, behind timeouts and a circuit breaker. */
export function createCacheStore(config: CacheConfig, logger: Logger): ResilientStore {
  let inner: CacheStore;
  switch (config.store.kind) {
    case 'memory':
      inner = new MemoryStore({ maxBytes: config.store.maxBytes });
      break;
    case 'redis':
    case 'redis-cluster': {
      const target = config.store.kind === 'redis' ? { kind: 'single' as const, url: config.store.url } : { kind: 'cluster' as const, nodes: config.store.nodes };
      inner = new RedisStore(createRedisClient({ target, commandTimeoutMs: config.timeoutMs, connectionName: 'pms-gateway' }), {
        localCopyMaxBytes: config.localCopyMaxBytes,
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

export function createResolverCache(config: CacheConfig, store: CacheStore, counters: CacheCounters): ResolverCache<Context> {
  return new ResolverCache<Context>({ store, policy: createCachePolicy(config.ttlOverrides), hooks: counters.hooks });
}

const BOOK_FACTS: readonly string[] = TYPE_FACTS.Book;

/**
 * What happens after a write commits: the cascade (bump the generations of the facts the
 * operation changed, as the policy says), then write-through (the book of the portfolio is
 * recomputed and stored, so the next read is a hit with the new data). The mutation returns after
 * both. A store that fails here costs nothing but the warm entry: the resilient store remembers a
 * failed bump and replays it before serving again.
 */
export function cacheChangeListener(cache: ResolverCache<Context>, db: Knex, clock: Clock, logger: Logger): ChangeListener {
  return {
    async committed({ operation, portfolioId }) {
      const kinds = MUTATION_FACTS[operation];
      try {
        await cache.invalidate(portfolioId, kinds);
      } catch (error) {
        // Only a store without the resilient wrapper can throw here; the write has committed, so
        // the request must not fail. Logged as an error: dependent entries may live to their TTL.
        logger.error({ err: error, operation, portfolioId }, 'cache: invalidation failed');
        return;
      }
      if (!kinds.some((k) => BOOK_FACTS.includes(k))) return;
      try {
        const portfolio = await findPortfolioByRef(db, portfolioId);
        if (!portfolio) return;
        const asOf = today(clock);
        await cache.warm('Query.book', portfolio.id, { asOf }, () => loadBook(db, clock, portfolio, asOf));
      } catch (error) {
        logger.warn({ err: error, operation, portfolioId }, 'cache: re-warming the book failed; the next read computes it');
      }
    },
  };
}
