import { BookDocument, MarkToMarketDocument } from '../../client/generated/graphql';
import { dec } from '../../src/domain/decimal';
import type { FieldReport } from '../../src/resolver-cache/outcome';
import { dataOf, seedFund, type SeededFund } from '../e2e/harness';
import { fixedClock } from '../support/clock';
import { testDb } from '../support/db';
import { DEMO_NOW } from '../support/demo';
import { actor } from '../support/factories';
import { startTestGateway, type GraphQLResponse, type TestGateway } from '../support/gateway';
import { startRedisServer, type RedisServer } from '../support/redis-server';

/**
 * The gateway against a Redis of the test's own (REDIS_URL), which the test kills, pauses and
 * slows while requests keep coming: no request may fail, added latency stays bounded by the cache
 * timeout, hits come back after recovery, and nothing stale is served after it.
 */
const CACHE_TIMEOUT_MS = 100;
/** Slack over the timeout for the request itself (HTTP, Postgres, computing the book). */
const SLACK_MS = 400;

const db = testDb();
const clock = fixedClock(DEMO_NOW);
let redis: RedisServer;
let gw: TestGateway;
let fund: SeededFund;
let token: string;

beforeAll(async () => {
  redis = await startRedisServer();
  gw = await startTestGateway(db, clock, {
    env: { REDIS_URL: redis.url, CACHE_TIMEOUT_MS: String(CACHE_TIMEOUT_MS), CACHE_FAILURE_THRESHOLD: '3', CACHE_OPEN_MS: '500' },
  });
  fund = await seedFund(db, 'OUT');
  token = gw.token(actor('ADMIN'));
});
afterAll(async () => {
  await gw.stop();
  await redis.stop();
  await db.destroy();
});

const status = (r: GraphQLResponse<unknown>) => ((r.extensions?.cache ?? []) as FieldReport[])[0]?.status;

async function timedBook(): Promise<{ ms: number; response: GraphQLResponse<unknown> }> {
  const started = performance.now();
  const response = await gw.execute(BookDocument, { portfolioId: fund.code }, token);
  return { ms: performance.now() - started, response };
}

/** Sends `n` book reads back to back; every one must succeed. Returns the slowest latency. */
async function stream(n: number): Promise<{ maxMs: number; statuses: string[] }> {
  let maxMs = 0;
  const statuses: string[] = [];
  for (let i = 0; i < n; i++) {
    const { ms, response } = await timedBook();
    expect(response.errors).toBeUndefined();
    maxMs = Math.max(maxMs, ms);
    statuses.push(String(status(response)));
  }
  return { maxMs, statuses };
}

describe('the gateway when its Redis fails', () => {
  it('keeps answering while Redis is killed, within the timeout, and hits again once it is back', async () => {
    await stream(3);
    expect(status((await timedBook()).response)).toBe('hit');
    await redis.kill();
    const down = await stream(20);
    expect(down.statuses.every((s) => s === 'miss')).toBe(true);
    expect(down.maxMs).toBeLessThan(CACHE_TIMEOUT_MS + SLACK_MS);
    await redis.restart();
    // The client reconnects and the circuit half-opens after CACHE_OPEN_MS: poll, bounded.
    let recovered = false;
    for (let i = 0; i < 40 && !recovered; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      recovered = status((await timedBook()).response) === 'hit';
    }
    expect(recovered).toBe(true);
  });

  it('keeps answering while Redis is paused, and serves nothing from before a write made during the pause', async () => {
    await stream(2); // warm
    const before = dataOf(await gw.execute(BookDocument, { portfolioId: fund.code }, token));
    await redis.pause(1_500);
    // A write while Redis cannot take the bump: the mutation must still succeed.
    const mtm = await gw.execute(MarkToMarketDocument, { input: { portfolioId: fund.code, prices: [{ ticker: 'USDBRL', price: '5.55' }], fxRate: '5' } }, token);
    expect(mtm.errors).toBeUndefined();
    const paused = await stream(5);
    expect(paused.maxMs).toBeLessThan(CACHE_TIMEOUT_MS + SLACK_MS);
    await new Promise((resolve) => setTimeout(resolve, 1_600)); // the pause ends
    const after = dataOf(await gw.execute(BookDocument, { portfolioId: fund.code }, token));
    // The book shows the write (positions are stored at 4 decimals, the MTM total is summed before).
    expect(dec(after.book.summary.unrealizedPnlBrl).minus(dataOf(mtm).markToMarket.unrealizedPnlBrl).abs().lt('0.01')).toBe(true);
    expect(after.book.summary.unrealizedPnlBrl).not.toBe(before.book.summary.unrealizedPnlBrl);
  });

  it('keeps answering while Redis is slow (DEBUG SLEEP), within the timeout', async () => {
    const sleeping = redis.sleep(1);
    const slow = await stream(5);
    await sleeping;
    expect(slow.maxMs).toBeLessThan(CACHE_TIMEOUT_MS + SLACK_MS);
  });
});
