import { print } from 'graphql';
import { Redis } from 'ioredis';
import { BookDocument } from '../../client/generated/graphql';
import type { Db } from '../../src/data/db';
import type { FieldReport } from '../../src/resolver-cache/outcome';
import type { CacheStore } from '../../src/resolver-cache/store/cache-store';
import { RedisStore } from '../../src/resolver-cache/store/redis-store';
import { ResilientStore } from '../../src/resolver-cache/store/resilient-store';
import { seedFund } from '../e2e/harness';
import { fixedClock } from '../support/clock';
import { testDb } from '../support/db';
import { DEMO_NOW } from '../support/demo';
import { actor } from '../support/factories';
import { startTestGateway, type TestGateway } from '../support/gateway';

/**
 * Bursts of concurrent cold reads on two instances sharing Redis and Postgres: each instance
 * computes the book once, looks the portfolio up once, and stores the response once (invariant 5).
 */
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/12';
const BURST = 50;
const clock = fixedClock(DEMO_NOW);
const seedDb = testDb();

/** A real store whose puts are counted. */
class PutCounting implements CacheStore {
  puts = 0;
  constructor(private readonly inner: CacheStore) {}
  lookup: CacheStore['lookup'] = (r) => this.inner.lookup(r);
  lookupBytes: CacheStore['lookupBytes'] = (r) => this.inner.lookupBytes!(r);
  put: CacheStore['put'] = (r) => {
    this.puts += 1;
    return this.inner.put(r);
  };
  raise: CacheStore['raise'] = (r) => this.inner.raise(r);
  ttlMs: CacheStore['ttlMs'] = (r) => this.inner.ttlMs!(r);
  close: CacheStore['close'] = () => this.inner.close();
}

interface Instance {
  readonly gw: TestGateway;
  readonly db: Db;
  readonly store: PutCounting;
  /** SQL statements this instance sent that read the portfolios table. */
  portfolioQueries: number;
}

async function startInstance(): Promise<Instance> {
  const db = testDb();
  const store = new PutCounting(new ResilientStore(new RedisStore(new Redis(REDIS_URL), { localCopyMaxBytes: 8_000_000, now: clock.epochMs }), { timeoutMs: 1_000 }));
  const gw = await startTestGateway(db, clock, { cacheStore: store });
  const instance: Instance = { gw, db, store, portfolioQueries: 0 };
  db.on('query', (query: { sql: string }) => {
    if (/from "portfolios"/.test(query.sql)) instance.portfolioQueries += 1;
  });
  return instance;
}

let a: Instance;
let b: Instance;

beforeAll(async () => {
  a = await startInstance();
  b = await startInstance();
});
afterAll(async () => {
  for (const instance of [a, b]) {
    await instance.gw.stop();
    await instance.db.destroy();
  }
  await seedDb.destroy();
});

const computations = (i: Instance) => i.gw.gateway.cacheCounters.byType.get('Book')?.computations ?? 0;

async function burst(instance: Instance, code: string): Promise<string[]> {
  const token = instance.gw.token(actor('ADMIN'));
  const body = JSON.stringify({ query: print(BookDocument), variables: { portfolioId: code } });
  return Promise.all(
    Array.from({ length: BURST }, async () => {
      const response = await fetch(instance.gw.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });
      const json = (await response.json()) as { errors?: unknown; extensions?: { cache?: FieldReport[] } };
      expect(json.errors).toBeUndefined();
      return json.extensions?.cache?.[0]?.status ?? 'none';
    }),
  );
}

it(`a burst of ${BURST} cold reads on each of two instances at once: one computation, one portfolio query and one stored response per instance`, async () => {
  const fund = await seedFund(seedDb, 'STAMPEDE');
  const before = { a: computations(a), b: computations(b), putsA: a.store.puts, putsB: b.store.puts };
  a.portfolioQueries = 0;
  b.portfolioQueries = 0;

  const [fromA, fromB] = await Promise.all([burst(a, fund.code), burst(b, fund.code)]);

  // The burst really was cold and concurrent: misses were shared, not served one by one from a hit.
  expect(fromA.filter((s) => s === 'miss').length + fromB.filter((s) => s === 'miss').length).toBeGreaterThan(1);
  expect(computations(a) - before.a).toBeLessThanOrEqual(1);
  expect(computations(b) - before.b).toBeLessThanOrEqual(1);
  expect(computations(a) - before.a + computations(b) - before.b).toBeGreaterThanOrEqual(1);
  expect(a.portfolioQueries).toBe(1);
  expect(b.portfolioQueries).toBe(1);
  expect(a.store.puts - before.putsA).toBeLessThanOrEqual(1);
  expect(b.store.puts - before.putsB).toBeLessThanOrEqual(1);
});
