// The cost of invalidating a fact, whatever the number of entries that depend on it: N entries
// are stored under one tag at the fact's generation (pipelined), then the gateway's own store
// (ResilientStore over RedisStore, Redis DB 14) bumps the fact; median of 50 bumps, N = 100 and 100,000.
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { RedisStore } from '../src/resolver-cache/store/redis-store';
import { ResilientStore } from '../src/resolver-cache/store/resilient-store';
import { GATEWAY_REDIS_DB, median, percentile, redisUrl } from './common';

export interface InvalidationResult {
  readonly entries: number;
  readonly fillSeconds: number;
  readonly bumps: number;
  readonly bumpMedianMs: number;
  readonly bumpP90Ms: number;
  /** An entry read before the bumps was there, and is unreachable after them. */
  readonly verified: boolean;
}

const BATCH = 5_000;
const BUMPS = 50;
/** Entries die by TTL like the gateway's; a few minutes is enough for the measurement. */
const TTL_SECONDS = 180;
const VALUE = 'x'.repeat(200);

export async function measureInvalidation(sizes: readonly number[], log: (line: string) => void): Promise<InvalidationResult[]> {
  // Filling: auto-pipelining batches the concurrent SETs into few round trips.
  const filler = new Redis(redisUrl(GATEWAY_REDIS_DB), { enableAutoPipelining: true, maxRetriesPerRequest: 1 });
  const fillStore = new RedisStore(filler, { ownsClient: false });
  // Bumping: exactly the gateway's store stack, on its own connection.
  const store = new ResilientStore(new RedisStore(new Redis(redisUrl(GATEWAY_REDIS_DB), { maxRetriesPerRequest: 1 })), { timeoutMs: 1_000 });
  const results: InvalidationResult[] = [];
  try {
    for (const entries of sizes) {
      const tag = `bench-invalidation-${entries}-${Date.now()}`;
      const facts = [`positions:${tag}`];
      const started = performance.now();
      const { generations } = await fillStore.lookup({ tag, facts, baseKey: 'probe' });
      for (let from = 0; from < entries; from += BATCH) {
        const batch: Promise<unknown>[] = [];
        for (let i = from; i < Math.min(entries, from + BATCH); i++) {
          batch.push(fillStore.put({ tag, baseKey: `entry-${i}`, generations, value: VALUE, ttlSeconds: TTL_SECONDS, storedAt: Date.now() }));
        }
        await Promise.all(batch);
      }
      const fillSeconds = (performance.now() - started) / 1000;
      const before = await fillStore.lookup({ tag, facts, baseKey: 'entry-0' });
      const samples: number[] = [];
      for (let i = 0; i < BUMPS; i++) {
        const t0 = performance.now();
        // A raise to the next generation, as a committed write does (its number comes from Postgres).
        await store.raise({ tag, facts, generations: [generations[0]! + i + 1] });
        samples.push(performance.now() - t0);
      }
      const after = await fillStore.lookup({ tag, facts, baseKey: 'entry-0' });
      const sorted = [...samples].sort((a, b) => a - b);
      const result: InvalidationResult = {
        entries,
        fillSeconds,
        bumps: BUMPS,
        bumpMedianMs: median(samples),
        bumpP90Ms: percentile(sorted, 90),
        verified: before.entry !== null && after.entry === null && after.generations[0] === (generations[0] ?? 0) + BUMPS,
      };
      log(
        `invalidation: ${entries.toLocaleString('en-US')} entries stored in ${fillSeconds.toFixed(1)} s; bump median ` +
          `${result.bumpMedianMs.toFixed(3)} ms, p90 ${result.bumpP90Ms.toFixed(3)} ms${result.verified ? '' : ' (NOT VERIFIED)'}`,
      );
      results.push(result);
    }
  } finally {
    await store.close();
    await fillStore.close();
    await filler.quit();
  }
  return results;
}
