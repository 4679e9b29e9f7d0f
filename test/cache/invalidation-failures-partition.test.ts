import { testDb } from '../support/db';
import { busyWait, runScenario, sleep, type InstanceName } from '../support/invalidation-harness';

/**
 * Invariant 1 (ARCHITECTURE.md), continued from invalidation-failures.test.ts: failures between
 * one instance and the store, the writer dying between its commit and its store update, the
 * store's generation counters going back (a restore from an older snapshot), and the process's
 * event loop stalling while store calls are in flight. Same harness, same oracle, same
 * requirements: no stale read, no failed request, hits on both instances.
 */
const seedDb = testDb();
afterAll(async () => {
  await seedDb.destroy();
});

/** Event-loop stall: how long, and how many store calls must be in flight on each instance first. */
const STALL_MS = 300;
const REPLY_LATENCY_MS = 20;
const WANTED_IN_FLIGHT = 3;
/** Stalls that must begin with store calls in flight on both instances, and the most tried. */
const ROUNDS = 3;
const MAX_ROUNDS = 6;

describe('invalidation when one instance, the writer or the process fails: writes on A, reads on A and B', () => {
  it.each(['hang', 'reset'] as const)(
    'A (the writer) reaches Redis only through a proxy that stops forwarding (%s); B reaches it directly and keeps serving hits',
    async (mode) => {
      await runScenario(seedDb, { name: `A's proxy blocked (${mode})`, proxyA: true }, (s) =>
        s.throughFailure({
          during: 'A cut off',
          after: 'after healing',
          begin: () => Promise.resolve(s.a.proxy!.block(mode)),
          async end() {
            await sleep(500);
            s.a.proxy!.unblock();
          },
          hitsDuring: ['B'],
        }),
      );
    },
    30_000,
  );

  it('the writer dies between its commit and its store update; a retry with the same idempotency key on B does not make B stale', async () => {
    await runScenario(seedDb, { name: 'writer killed after the ack', proxyA: true }, async (s) => {
      s.startReaders('A', 'B');
      await sleep(300);
      await s.steps(2, 150);
      await sleep(300);
      // A's readers stop first: requests the test makes to a stopped A would fail for the test's own reasons.
      await s.stopReaders('A');
      s.a.proxy!.block('hang');
      const lost = await s.step('A'); // committed and acknowledged; its store update cannot get through
      await s.stopInstance('A'); // and the process is gone right after the ack
      const killed = performance.now();
      await sleep(1_000);
      const retried = performance.now();
      await s.retry(lost, 'B'); // the client did not trust the ack and retries on B
      await sleep(800);
      await s.steps(2, 200, 'B');
      const settled = performance.now();
      await s.waitForHits(['B'], settled);
      await sleep(300);
      await s.stopReaders();
      return s.evaluate({
        hitsAfter: { B: killed },
        phases: { 'A dead, before the retry': { from: killed, to: retried }, 'after the retry on B': { from: retried, to: Infinity } },
      });
    });
  }, 30_000);

  it("Redis's generation counters set back to older values (a restore from an older snapshot)", async () => {
    await runScenario(seedDb, { name: 'generation keys restored' }, async (s) => {
      s.startReaders('A', 'B');
      await sleep(300);
      await s.steps(2, 150);
      await sleep(300);
      const snapshot = await s.snapshotGenerations();
      const extra: string[] = snapshot.size === 0 ? ['no generation key (a key with a `:g:` segment) found in Redis to restore'] : [];
      await s.steps(3, 150);
      await sleep(200);
      const moved = await s.restoreGenerations(snapshot);
      if (snapshot.size > 0 && moved === 0) extra.push('the restore moved no generation key back: the scenario tested nothing');
      const restored = performance.now();
      await sleep(1_000);
      await s.steps(2, 200);
      const settled = performance.now();
      await s.waitForHits(['A', 'B'], settled);
      await sleep(300);
      await s.stopReaders();
      const evaluation = s.evaluate({
        hitsAfter: { A: settled, B: settled },
        phases: { 'after the restore': { from: restored, to: Infinity } },
      });
      return { evaluation, extra };
    });
  }, 30_000);

  it(`the event loop blocked ${STALL_MS} ms while store calls are in flight: the circuit stays closed and hits go on`, async () => {
    await runScenario(
      seedDb,
      // Both instances through proxies that delay replies a little (far below the cache timeout), so
      // that store calls are reliably in flight when the stall begins.
      { name: 'event loop blocked', proxyA: true, proxyB: true, replyLatencyMs: REPLY_LATENCY_MS, readersPerInstance: 3 },
      async (s) => {
        const extra: string[] = [];
        const notes: string[] = [];
        s.startReaders('A', 'B');
        await sleep(300);
        await s.steps(2, 150);
        await sleep(300);
        let lastStall = 0;
        let qualifying = 0;
        for (let round = 1; round <= MAX_ROUNDS && qualifying < ROUNDS; round++) {
          // Each round starts with both circuits closed and both instances serving hits (bounded
          // waits; reads go on meanwhile), so that each stall is judged on its own.
          const closedBy = performance.now() + 2_000;
          while (performance.now() < closedBy && ((await s.circuitState('A')) !== 'closed' || (await s.circuitState('B')) !== 'closed')) {
            await sleep(50);
          }
          await s.waitForHits(['A', 'B'], performance.now(), 2_000);
          const bursts = [s.burst('A', 8), s.burst('B', 8)];
          // Stall once both instances have store calls in flight: WANTED_IN_FLIGHT each, or at
          // least one each after 150 ms; bounded by 500 ms.
          const inFlight = (name: InstanceName) => s.sentWithin(name, REPLY_LATENCY_MS);
          const began = performance.now();
          for (;;) {
            const [a, b, waited] = [inFlight('A'), inFlight('B'), performance.now() - began];
            if ((a >= WANTED_IN_FLIGHT && b >= WANTED_IN_FLIGHT) || (waited > 150 && a > 0 && b > 0) || waited > 500) break;
            await new Promise((resolve) => setImmediate(resolve));
          }
          const counts = { A: inFlight('A'), B: inFlight('B') };
          busyWait(STALL_MS);
          lastStall = performance.now();
          await Promise.all(bursts);
          if (counts.A > 0 && counts.B > 0) qualifying += 1;
          notes.push(`stall ${round}: store calls in flight A ${counts.A}+, B ${counts.B}+`);
          for (const name of ['A', 'B'] as const) {
            const state = await s.circuitState(name);
            if (state !== 'closed') {
              extra.push(`stall ${round}: instance ${name}'s circuit is ${state} after it (${counts[name]}+ store calls were in flight)`);
            }
          }
          await s.step();
          await sleep(300);
        }
        if (qualifying < ROUNDS) extra.push(`only ${qualifying} of the stalls began with store calls in flight on both instances`);
        const settled = performance.now();
        await s.waitForHits(['A', 'B'], settled);
        await sleep(300);
        await s.stopReaders();
        return { evaluation: s.evaluate({ hitsAfter: { A: lastStall, B: lastStall } }), extra, notes };
      },
    );
  }, 30_000);
});
