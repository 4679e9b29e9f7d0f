import { testDb } from '../support/db';
import { runScenario, sleep } from '../support/invalidation-harness';

/**
 * Invariant 1 (ARCHITECTURE.md) under store failures: after a mutation is acknowledged, no read on
 * any instance returns data from before it. Two gateway instances share a private redis-server and
 * the test database; instance A takes the writes, readers read book, riskLive and attribution on
 * both, and the oracle in support/invalidation-harness.ts judges every read against every ack.
 * Each scenario also requires hits on both instances (after the failure, where the store is back),
 * so that it cannot pass by never using the cache, and that no request failed.
 *
 * This file: Redis itself fails (killed, paused, asleep). invalidation-failures-partition.test.ts:
 * one instance cut off from Redis, the writer dying before its store update, generation counters
 * restored to older values, and the event loop stalled.
 */
const seedDb = testDb();
afterAll(async () => {
  await seedDb.destroy();
});

describe('invalidation under store failures: acknowledged writes on A, reads on A and B', () => {
  it('Redis healthy: every read that starts after an ack sees that write', async () => {
    await runScenario(seedDb, { name: 'Redis healthy' }, async (s) => {
      s.startReaders('A', 'B');
      await sleep(300);
      await s.steps(8, 150);
      const settled = performance.now();
      await s.waitForHits(['A', 'B'], settled);
      await sleep(300);
      await s.stopReaders();
      return s.evaluate({ hitsAfter: { A: settled, B: settled } });
    });
  }, 30_000);

  it('Redis killed (SIGKILL) and restarted empty while reads and writes go on', async () => {
    await runScenario(seedDb, { name: 'Redis killed and restarted empty' }, (s) =>
      s.throughFailure({ during: 'Redis down', after: 'after the restart', begin: () => s.redis.kill(), end: () => s.redis.restart(), writesAfter: 3 }),
    );
  }, 30_000);

  it.each(['ALL', 'WRITE'])('Redis paused (CLIENT PAUSE 1500 %s) while writes are acknowledged', async (mode) => {
    await runScenario(seedDb, { name: `CLIENT PAUSE 1500 ${mode}` }, (s) => {
      let paused = 0;
      return s.throughFailure({
        during: 'paused',
        after: 'after the pause',
        async begin() {
          paused = performance.now();
          const reply = await s.redis.cli('CLIENT', 'PAUSE', '1500', mode);
          if (reply !== 'OK') throw new Error(`CLIENT PAUSE answered ${reply}`);
        },
        // Bounded: the pause ends 1.5 s after it began, however long the writes took.
        end: () => sleep(Math.max(0, paused + 1_600 - performance.now())),
      });
    });
  }, 30_000);

  it('Redis asleep (DEBUG SLEEP 1) while writes are acknowledged', async () => {
    await runScenario(seedDb, { name: 'DEBUG SLEEP 1' }, (s) => {
      let sleeping: Promise<void> = Promise.resolve();
      return s.throughFailure({
        during: 'asleep',
        after: 'after waking',
        async begin() {
          sleeping = s.redis.sleep(1);
          await sleep(50); // let redis-cli reach the server
        },
        end: () => sleeping,
      });
    });
  }, 30_000);
});
