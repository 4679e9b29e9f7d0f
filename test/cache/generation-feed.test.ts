import { randomUUID } from 'node:crypto';
import { BookDocument } from '../../client/generated/graphql';
import { commitFactGenerations, loadFactGenerations } from '../../src/data/fact-generation.repository';
import { GenerationFloors, UNSYNCED_REASON } from '../../src/resolver-cache';
import type { FieldReport } from '../../src/resolver-cache/outcome';
import { createGenerationFeed, type GenerationFeed } from '../../src/server/generation-feed';
import { createLogger } from '../../src/server/logger';
import { seedFund } from '../e2e/harness';
import { fixedClock } from '../support/clock';
import { testDb } from '../support/db';
import { DEMO_NOW } from '../support/demo';
import { actor } from '../support/factories';
import { startTestGateway } from '../support/gateway';

/**
 * The feed of committed generations on real Postgres: a write's generations reach a listening
 * process at commit, not before and not without the commit; a process whose listening connection
 * is cut knows it (floors unsynced, so the cache is bypassed) and, on reconnecting, reloads what it
 * missed from the table.
 */
const db = testDb();
const logger = createLogger('silent');

afterAll(async () => {
  await db.destroy();
});

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function write(scope: string, facts: string[]) {
  return db.transaction((trx) => commitFactGenerations(trx, scope, facts));
}

describe('the generation feed on Postgres', () => {
  let floors: GenerationFloors;
  let feed: GenerationFeed;

  beforeEach(async () => {
    floors = new GenerationFloors({ synced: false });
    // Reconnects after 400 ms: a window in which the test commits a write the feed cannot hear.
    feed = createGenerationFeed(db, floors, logger, { initialBackoffMs: 400, heartbeatMs: 200 });
    await feed.start();
  });
  afterEach(async () => {
    await feed.stop();
  });

  it('loads the baseline and every committed generation at start', async () => {
    const snapshot = await loadFactGenerations(db);
    expect(floors.isSynced).toBe(true);
    expect(snapshot.baseline).toBeGreaterThan(1_600_000_000_000_000);
    expect(floors.floorOf(`never-written:${randomUUID()}`)).toBe(snapshot.baseline);
    // A generation committed before a process starts is in its floors from the load alone.
    const scope = randomUUID();
    const committed = await write(scope, [`positions:${scope}`]);
    const later = new GenerationFloors({ synced: false });
    const feedOfLater = createGenerationFeed(db, later, logger);
    try {
      await feedOfLater.start();
      expect(later.floorOf(`positions:${scope}`)).toBe(committed.generations[`positions:${scope}`]);
    } finally {
      await feedOfLater.stop();
    }
  });

  it('raises a floor when the write commits, never for a write rolled back, and generations only rise', async () => {
    const scope = randomUUID();
    const fact = `positions:${scope}`;
    const before = floors.floorOf(fact);

    await expect(
      db.transaction(async (trx) => {
        await commitFactGenerations(trx, scope, [fact]);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(floors.floorOf(fact)).toBe(before);

    const first = await write(scope, [fact]);
    await until(() => floors.floorOf(fact) === first.generations[fact]);
    const second = await write(scope, [fact]);
    expect(second.generations[fact]).toBeGreaterThan(first.generations[fact]!);
    await until(() => floors.floorOf(fact) === second.generations[fact]);
    expect(await feed.awaitAnnounced(second.generations, 1_000)).toBe(true);
  });

  it('cut from Postgres, it is unsynced at once, and on reconnecting it reloads the write it could not hear', async () => {
    const scope = randomUUID();
    const fact = `marks:${scope}`;
    const pid = feed.listenerPid;
    expect(pid).not.toBeNull();

    await db.raw('select pg_terminate_backend(?)', [pid]);
    await until(() => !floors.isSynced, 2_000);
    const missed = await write(scope, [fact]);
    // Not heard: the floor is the baseline still, and the cache would be bypassed meanwhile.
    expect(floors.floorOf(fact)).toBeLessThan(missed.generations[fact]!);
    expect(floors.isSynced).toBe(false);

    await until(() => floors.isSynced, 5_000);
    expect(floors.floorOf(fact)).toBe(missed.generations[fact]);
    expect(feed.listenerPid).not.toBe(pid);
  });

  it('a connection that stops answering is found by the heartbeat and replaced', async () => {
    const pid = feed.listenerPid;
    // The listening connection is kept busy past the heartbeat's deadline, as a hung peer would be;
    // the feed drops it (this query then fails with it).
    const stuck = feedQuery(feed, 'select pg_sleep(1)').catch((error: unknown) => error);
    await until(() => !floors.isSynced, 2_000);
    await until(() => floors.isSynced && feed.listenerPid !== pid, 5_000);
    expect(await stuck).toBeInstanceOf(Error);
  });
});

/** Runs a query on the feed's own connection (test only: makes it unresponsive for a while). */
function feedQuery(feed: GenerationFeed, sql: string): Promise<unknown> {
  const client = (feed as unknown as { client: { query(sql: string): Promise<unknown> } | null }).client;
  if (!client) throw new Error('the feed has no connection');
  return client.query(sql);
}

describe('a gateway whose floors are not synced', () => {
  it('serves cached fields from the database (bypass, reason given) until they are, then from the cache again', async () => {
    const clock = fixedClock(DEMO_NOW);
    const gw = await startTestGateway(db, clock);
    try {
      const fund = await seedFund(db, 'FEED');
      const token = gw.token(actor('ADMIN'));
      const read = async () => ((await gw.execute(BookDocument, { portfolioId: fund.code }, token)).extensions?.cache as FieldReport[])[0];
      await read();
      expect((await read())?.status).toBe('hit');

      const floors = gw.gateway.cache!.floors;
      floors.desync();
      expect(await read()).toMatchObject({ status: 'bypass', reason: UNSYNCED_REASON });

      const snapshot = await loadFactGenerations(db);
      floors.reconcile(snapshot.baseline, snapshot.generations);
      expect((await read())?.status).toBe('hit');
    } finally {
      await gw.stop();
    }
  });
});
