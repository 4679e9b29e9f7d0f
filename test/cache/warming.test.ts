import { AttributionDocument, BookDocument, MarkToMarketDocument, RiskLiveDocument } from '../../client/generated/graphql';
import { SCHEDULED_WARMING } from '../../src/graphql/cache-policy';
import type { FieldReport } from '../../src/resolver-cache/outcome';
import { createLogger } from '../../src/server/logger';
import { CacheWarmer, WARM_LOCK } from '../../src/server/warm';
import { dataOf, seedFund, type SeededFund } from '../e2e/harness';
import { fixedClock } from '../support/clock';
import { testDb } from '../support/db';
import { DEMO_NOW } from '../support/demo';
import { actor } from '../support/factories';
import { startTestGateway, type GraphQLResponse, type TestGateway } from '../support/gateway';
import { startRedisServer, type RedisServer } from '../support/redis-server';

/**
 * Scheduled warming against Redis servers of the test's own: after a Redis restart the next
 * warm refills the book, live risk and MTD attribution of every active portfolio, so the first
 * read of each is a hit; and of two instances sharing one Redis, one warms per interval.
 */
const db = testDb();
const clock = fixedClock(DEMO_NOW);
let funds: SeededFund[];

beforeAll(async () => {
  funds = [await seedFund(db, 'WRM'), await seedFund(db, 'WRM')];
});
afterAll(async () => {
  await db.destroy();
});

const reportOf = (r: GraphQLResponse<unknown>): FieldReport | undefined => ((r.extensions?.cache ?? []) as FieldReport[])[0];

/**
 * A run warms every active portfolio of the test database, where every suite's funds accumulate:
 * runs take seconds, not milliseconds, on a loaded machine.
 */
const TEST_TIMEOUT_MS = 60_000;
jest.setTimeout(TEST_TIMEOUT_MS);

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = TEST_TIMEOUT_MS - 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Fast recovery after the restart: a short breaker, a warm every second. */
const ENV = { CACHE_WARM_INTERVAL: '1', CACHE_TIMEOUT_MS: '200', CACHE_FAILURE_THRESHOLD: '3', CACHE_OPEN_MS: '300' };

describe('scheduled cache warming', () => {
  let redis: RedisServer;
  let gw: TestGateway;

  beforeAll(async () => {
    redis = await startRedisServer();
    gw = await startTestGateway(db, clock, { env: { REDIS_URL: redis.url, ...ENV } });
  });
  afterAll(async () => {
    await gw.stop();
    await redis.stop();
  });

  it('after a Redis restart, once a warm ran, the first read of each portfolio’s book, riskLive and MTD attribution is a hit', async () => {
    const warmer = gw.gateway.warmer!;
    // The first run starts right after the listener, without anyone asking.
    await until('the first warm', () => warmer.stats.lastCompleted !== null);

    await redis.restart();
    const restartedAt = Date.now();
    // Empty: no entry, no lock. The next run that reaches it takes the lock and refills it: wait
    // for one that started after the restart and found the store answering for every field.
    await until('a warm run after the restart', () => {
      const last = warmer.stats.lastCompleted;
      const startedAt = (warmer.stats.lastCompletedAt ?? 0) - (last?.durationMs ?? 0) - 1;
      return startedAt > restartedAt && last !== null && last.fields > 0 && last.unavailable === 0;
    });
    const last = warmer.stats.lastCompleted!;
    // Every active portfolio, ours among them, three fields each, none failed.
    expect(last.portfolios).toBeGreaterThanOrEqual(funds.length);
    expect(last.fields).toBe(last.portfolios * 3);
    expect(last.failures).toBe(0);

    const token = gw.token(actor('ADMIN'));
    const counts = gw.gateway.cacheCounters.byType;
    const hitsBefore = ['Book', 'RiskLive', 'Attribution'].map((type) => counts.get(type)?.hits ?? 0);
    for (const fund of funds) {
      const reads: GraphQLResponse<unknown>[] = [
        await gw.execute(BookDocument, { portfolioId: fund.code }, token),
        await gw.execute(RiskLiveDocument, { portfolioId: fund.code }, token),
        await gw.execute(AttributionDocument, { portfolioId: fund.code, period: 'MTD' }, token),
      ];
      for (const read of reads) dataOf<unknown>(read);
      expect(reads.map((r) => [reportOf(r)?.coordinate, reportOf(r)?.status])).toEqual([
        ['Query.book', 'hit'],
        ['Query.riskLive', 'hit'],
        ['Query.attribution', 'hit'],
      ]);
    }
    // The hooks counted them too: two hits per type, one per fund.
    const hitsAfter = ['Book', 'RiskLive', 'Attribution'].map((type) => counts.get(type)?.hits ?? 0);
    expect(hitsAfter.map((h, i) => h - hitsBefore[i]!)).toEqual([2, 2, 2]);
  });
});

describe('two instances on one Redis', () => {
  let redis: RedisServer;
  let gateways: TestGateway[];

  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await Promise.all((gateways ?? []).map((g) => g.stop()));
    await redis.stop();
  });

  it('do not both warm in the same interval: one takes the lock and computes, the other skips', async () => {
    // Started together: each tries to warm at once, on the same Redis.
    gateways = await Promise.all([1, 2].map(() => startTestGateway(db, clock, { env: { REDIS_URL: redis.url, ...ENV, CACHE_WARM_INTERVAL: '30' } })));
    const warmers = gateways.map((g) => g.gateway.warmer!);
    await until('both first runs', () => warmers.every((w) => [...w.stats.runs.values()].reduce((a, b) => a + b, 0) >= 1));
    // Asked again within the interval, by hand: the lock still holds for both.
    const again = await Promise.all(warmers.map((w) => w.runOnce()));
    expect(again.map((r) => r.kind === 'skipped' && r.reason)).toEqual(['locked', 'locked']);

    const completed = warmers.map((w) => w.stats.runs.get('completed') ?? 0);
    const locked = warmers.map((w) => w.stats.runs.get('locked') ?? 0);
    expect(completed.reduce((a, b) => a + b, 0)).toBe(1);
    expect(locked.reduce((a, b) => a + b, 0)).toBe(3);
    const winner = completed.indexOf(1);
    const loser = 1 - winner;
    // The computations: every field of every active portfolio on the winner, none on the other.
    const computations = gateways.map((g) => [...g.gateway.cacheCounters.byType.values()].reduce((sum, c) => sum + c.computations, 0));
    expect(computations[winner]).toBe(warmers[winner]!.stats.lastCompleted!.fields);
    expect(computations[winner]).toBeGreaterThanOrEqual(funds.length * 3);
    expect(computations[loser]).toBe(0);
    // The lock is the winner's, and expires within the interval.
    expect(await redis.cli('GET', `rc:lock:${WARM_LOCK}`)).toBe(warmers[winner]!.owner);
    const pttl = Number(await redis.cli('PTTL', `rc:lock:${WARM_LOCK}`));
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(30_000);
  });
});

describe('warming with the store down', () => {
  let redis: RedisServer;
  let gw: TestGateway;

  beforeAll(async () => {
    redis = await startRedisServer();
    // Interval 0: no schedule; runOnce is the only run.
    gw = await startTestGateway(db, clock, { env: { REDIS_URL: redis.url, ...ENV, CACHE_WARM_INTERVAL: '0' } });
  });
  afterAll(async () => {
    await gw.stop();
    await redis.stop();
  });

  it('skips the run, computing nothing, when the store cannot answer the lock', async () => {
    const warmer = gw.gateway.warmer!;
    expect(warmer.stats.runs.size).toBe(0);
    await redis.kill();
    const run = await warmer.runOnce();
    expect(run).toEqual({ kind: 'skipped', reason: 'store-unavailable' });
    expect(warmer.stats.runs.get('store-unavailable')).toBe(1);
    expect([...gw.gateway.cacheCounters.byType.values()].reduce((sum, c) => sum + c.computations, 0)).toBe(0);
  });
});

describe('warming racing a write', () => {
  let gw: TestGateway;
  let fund: SeededFund;

  beforeAll(async () => {
    fund = await seedFund(db, 'WRC');
    gw = await startTestGateway(db, clock, { env: { CACHE_WARM_INTERVAL: '0' } });
  });
  afterAll(async () => {
    await gw.stop();
  });

  /**
   * A warmer whose riskLive computation of `fund` is taken and then held until `release`: what a
   * slow warm looks like when a write commits between its computation and its store write.
   */
  function heldWarmer() {
    let computed!: () => void;
    let release!: () => void;
    const taken = new Promise<void>((resolve) => (computed = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    const risk = SCHEDULED_WARMING['Query.riskLive']!;
    const warmer = new CacheWarmer({
      cache: gw.gateway.cache!,
      store: gw.gateway.cacheStore!,
      db,
      clock,
      logger: createLogger('silent'),
      intervalSeconds: 0,
      concurrency: 4,
      coordinates: {
        'Query.riskLive': {
          ...risk,
          compute: async (database, at, portfolio) => {
            const value = await risk.compute(database, at, portfolio);
            if (portfolio.id === fund.id) {
              computed();
              await released;
            }
            return value;
          },
        },
      },
    });
    return { warmer, taken, release };
  }

  const riskStatus = async (token: string) => reportOf(await gw.execute(RiskLiveDocument, { portfolioId: fund.code }, token))?.status;

  it('never stores a value computed before a write where reads after it look: the read after is a miss', async () => {
    const token = gw.token(actor('ADMIN'));
    // Control: the same held warm without a write in between is read as a hit.
    const control = heldWarmer();
    const controlRun = control.warmer.runOnce();
    await control.taken;
    control.release();
    expect((await controlRun).kind).toBe('completed');
    expect(await riskStatus(token)).toBe('hit');

    // Past the control's lock (1 s on the memory store, which keeps the gateway's clock).
    clock.advance(1_100);
    const raced = heldWarmer();
    const run = raced.warmer.runOnce();
    await raced.taken;
    const mtm = await gw.execute(MarkToMarketDocument, { input: { portfolioId: fund.code, prices: [{ ticker: 'USDBRL', price: '5.61' }], fxRate: '5' } }, token);
    expect(mtm.errors).toBeUndefined();
    raced.release();
    const result = await run;
    // The warm did store its value: under the generations it read before the write.
    expect(result.kind === 'completed' && result.fields).toBeGreaterThanOrEqual(1);
    expect(await riskStatus(token)).toBe('miss');
    expect(await riskStatus(token)).toBe('hit');
  });
});
