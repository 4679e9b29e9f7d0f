import { Redis } from 'ioredis';
import { BookDocument, MarkToMarketDocument } from '../../client/generated/graphql';
import { dec } from '../../src/domain/decimal';
import type { CacheStore, PutRequest, WriteOutcome } from '../../src/resolver-cache/store/cache-store';
import { RedisStore } from '../../src/resolver-cache/store/redis-store';
import { ResilientStore } from '../../src/resolver-cache/store/resilient-store';
import { dataOf, seedFund, type SeededFund } from '../e2e/harness';
import { fixedClock } from '../support/clock';
import { testDb } from '../support/db';
import { DEMO_NOW } from '../support/demo';
import { actor } from '../support/factories';
import { startTestGateway, type TestGateway } from '../support/gateway';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/12';

/**
 * A store whose writes arrive late (up to 150 ms after the computation): the slow reader of the
 * cache-aside race, whose value was computed before a write and lands after it.
 */
class LatePutStore implements CacheStore {
  latePuts = 0;
  constructor(private readonly inner: CacheStore) {}
  lookup: CacheStore['lookup'] = (r) => this.inner.lookup(r);
  lookupBytes: CacheStore['lookupBytes'] = (r) => this.inner.lookupBytes!(r);
  raise: CacheStore['raise'] = (r) => this.inner.raise(r);
  ttlMs: CacheStore['ttlMs'] = (r) => this.inner.ttlMs!(r);
  close: CacheStore['close'] = () => this.inner.close();
  async put(request: PutRequest): Promise<WriteOutcome> {
    this.latePuts += 1;
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 150));
    return this.inner.put(request);
  }
}

const db = testDb();
const clock = fixedClock(DEMO_NOW);
let a: TestGateway;
let b: TestGateway;
let late: LatePutStore;
let fund: SeededFund;

beforeAll(async () => {
  late = new LatePutStore(new ResilientStore(new RedisStore(new Redis(REDIS_URL), { localCopyMaxBytes: 8_000_000, now: clock.epochMs }), { timeoutMs: 1_000 }));
  a = await startTestGateway(db, clock, { cacheStore: new ResilientStore(new RedisStore(new Redis(REDIS_URL), { localCopyMaxBytes: 8_000_000, now: clock.epochMs }), { timeoutMs: 1_000 }) });
  b = await startTestGateway(db, clock, { cacheStore: late });
  fund = await seedFund(db, 'CONS');
});
afterAll(async () => {
  await a.stop();
  await b.stop();
  await db.destroy();
});

describe('two gateway instances sharing Redis and Postgres', () => {
  it('never answer a read issued after a mutation returned with data from before it', async () => {
    const token = a.token(actor('ADMIN'));
    const unrealized = async (gw: TestGateway) =>
      dec(dataOf(await gw.execute(BookDocument, { portfolioId: fund.code }, token)).book.summary.unrealizedPnlBrl);

    // versions[k] is the book's unrealized P&L after the k-th mutation returned (0: before any).
    const versions = [await unrealized(a)];
    let completed = 0;
    let writing = true;
    const violations: string[] = [];
    let reads = 0;

    const reader = async (gw: TestGateway) => {
      while (writing) {
        const issuedAfter = completed;
        const value = await unrealized(gw);
        reads += 1;
        // Acceptable: the state after the last mutation that had returned when the read was issued,
        // or any later one. Anything earlier is a stale read.
        const seenAt = versions.findIndex((v) => v.minus(value).abs().lt('0.01'));
        if (seenAt !== -1 && seenAt < issuedAfter) violations.push(`read issued after #${issuedAfter} saw #${seenAt}`);
      }
    };
    const readers = [a, b, b, b].map((gw) => reader(gw));

    for (let k = 1; k <= 8; k++) {
      // Each MTM moves USDBRL to a new price on instance A; reads run on both instances meanwhile.
      const price = (5 + k / 10).toFixed(2);
      const mtm = dataOf(await a.execute(MarkToMarketDocument, { input: { portfolioId: fund.code, prices: [{ ticker: 'USDBRL', price }], fxRate: '5' } }, token));
      versions.push(dec(mtm.markToMarket.unrealizedPnlBrl));
      completed = k;
      await new Promise((resolve) => setTimeout(resolve, 60));
    }
    writing = false;
    await Promise.all(readers);

    expect(new Set(versions.map((v) => v.toFixed(2))).size).toBe(versions.length); // every write changed the book
    expect(reads).toBeGreaterThan(20);
    expect(late.latePuts).toBeGreaterThan(0);
    expect(violations).toEqual([]);
    // And after the last write, both instances agree on its result.
    expect((await unrealized(b)).minus(versions.at(-1)!).abs().lt('0.01')).toBe(true);
  });
});
