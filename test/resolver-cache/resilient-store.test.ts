import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import type {
  RaiseRequest,
  CacheStore,
  EntryRequest,
  LookupBytesOutcome,
  LookupBytesRequest,
  LookupBytesResult,
  LookupOutcome,
  LookupRequest,
  LookupResult,
  PutRequest,
  WriteOutcome,
} from '../../src/resolver-cache/store/cache-store';
import { MemoryStore } from '../../src/resolver-cache/store/memory-store';
import { createRedisClient, waitForReady } from '../../src/resolver-cache/store/redis-client';
import { RedisStore } from '../../src/resolver-cache/store/redis-store';
import { redisEntryKey } from '../../src/resolver-cache/store/store-keys';
import {
  ResilientStore,
  type CircuitState,
  type ResilientStoreOptions,
} from '../../src/resolver-cache/store/resilient-store';
import { startRedisServer, type RedisServer } from '../support/redis-server';
import { randomTag } from './cache-store.contract';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type Method = 'lookup' | 'put' | 'raise' | 'ttlMs';
type Behaviour = 'ok' | 'fail' | 'hang' | { delayMs: number };

/**
 * A store that behaves as told per method (answer, fail, never answer, answer late) and records
 * the calls that reached it; when it answers, a MemoryStore behind it gives the real answer.
 */
class ScriptedStore implements CacheStore {
  readonly calls: string[] = [];
  private readonly behaviour: Record<Method, Behaviour> = { lookup: 'ok', put: 'ok', raise: 'ok', ttlMs: 'ok' };
  private readonly held: (() => void)[] = [];
  readonly backing: MemoryStore;

  constructor(now: () => number) {
    this.backing = new MemoryStore({ now });
  }

  set(behaviour: Behaviour, methods: readonly Method[] = ['lookup', 'put', 'raise', 'ttlMs']): void {
    for (const method of methods) this.behaviour[method] = behaviour;
  }

  /** Lets every hanging call finish (late), so nothing is left pending after a test. */
  release(): void {
    for (const resume of this.held.splice(0)) resume();
  }

  async lookup(request: LookupRequest): Promise<LookupResult> {
    await this.gate('lookup', request.tag);
    return this.backing.lookup(request);
  }

  /** Gated as a lookup: it is one, with the entry left as bytes. */
  async lookupBytes(request: LookupBytesRequest): Promise<LookupBytesResult> {
    await this.gate('lookup', request.tag);
    return this.backing.lookupBytes(request);
  }

  async put(request: PutRequest): Promise<WriteOutcome> {
    await this.gate('put', request.tag);
    return this.backing.put(request);
  }

  async raise(request: RaiseRequest): Promise<WriteOutcome> {
    await this.gate('raise', request.tag);
    return this.backing.raise(request);
  }

  async ttlMs(request: EntryRequest): Promise<number | null> {
    await this.gate('ttlMs', request.tag);
    return this.backing.ttlMs(request);
  }

  close(): Promise<void> {
    this.release();
    return Promise.resolve();
  }

  private async gate(method: Method, tag: string): Promise<void> {
    this.calls.push(`${method} ${tag}`);
    const behaviour = this.behaviour[method];
    if (behaviour === 'ok') return;
    if (behaviour === 'fail') throw new Error('ECONNREFUSED 127.0.0.1:6379');
    if (behaviour === 'hang') {
      await new Promise<void>((resolve) => this.held.push(resolve));
      return;
    }
    await sleep(behaviour.delayMs);
  }
}

describe('ResilientStore with a scripted inner store', () => {
  const TIMEOUT_MS = 30;
  // The inner store never answers, so any finite bound proves the timeout; this one leaves room
  // for a loaded machine's scheduling jitter (the Redis outage tests below hold the tight bound).
  const BOUND_MS = TIMEOUT_MS + 200;
  let now: number;
  let inner: ScriptedStore;
  let changes: string[];

  const clock = () => now;
  const make = (options: ResilientStoreOptions = {}) =>
    new ResilientStore(inner, {
      timeoutMs: TIMEOUT_MS,
      failureThreshold: 3,
      openMs: 1_000,
      now: clock,
      onStateChange: (from, to, reason) => changes.push(`${from} → ${to}: ${reason}`),
      ...options,
    });
  const lookupOf = (tag: string, baseKey = 'k'): LookupRequest => ({ tag, facts: ['positions'], baseKey });
  const stateChanges = () => changes.map((change) => change.slice(0, change.indexOf(':')));

  /** Fails `n` lookups so the circuit opens (with the default threshold of 3). */
  async function openCircuit(store: ResilientStore, n = 3): Promise<void> {
    inner.set('fail');
    for (let i = 0; i < n; i += 1) await store.lookup(lookupOf('any'));
    expect(store.state).toBe('open');
  }

  beforeEach(() => {
    now = 1_750_000_000_000;
    inner = new ScriptedStore(clock);
    changes = [];
  });

  afterEach(() => {
    inner.release();
  });

  it('a lookup that does not answer within timeoutMs is unavailable after about timeoutMs, every time', async () => {
    const store = make();
    inner.set('hang');

    const started = performance.now();
    const outcome = await store.lookup(lookupOf('t'));
    const elapsed = performance.now() - started;
    const again = await store.lookup(lookupOf('t'));

    expect(outcome).toEqual({ kind: 'unavailable', reason: 'timeout' });
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 2);
    expect(elapsed).toBeLessThan(BOUND_MS);
    expect(again).toEqual({ kind: 'unavailable', reason: 'timeout' });
    expect(store.stats()).toMatchObject({ calls: 2, failures: 2, timeouts: 2 });
  });

  it('a failing store never makes a call reject: lookup is unavailable (error), put and ttlMs report or swallow it', async () => {
    const store = make({ failureThreshold: 100 });
    inner.set('fail');
    const put: PutRequest = { tag: 't', baseKey: 'k', generations: [1], value: 'v', ttlSeconds: 30, storedAt: now };

    await expect(store.lookup(lookupOf('t'))).resolves.toEqual({ kind: 'unavailable', reason: 'error' });
    await expect(store.put(put)).resolves.toEqual({ kind: 'unavailable', reason: 'error' });
    await expect(store.lookupBytes!(lookupOf('t'))).resolves.toEqual({ kind: 'unavailable', reason: 'error' });
    await expect(store.ttlMs!(put)).resolves.toBeNull();
    await expect(store.raise({ tag: 't', facts: ['positions'], generations: [2] })).resolves.toEqual({ kind: 'unavailable', reason: 'error' });
    expect(store.stats()).toMatchObject({ calls: 5, failures: 5, timeouts: 0, shortCircuits: 0 });
  });

  it('after failureThreshold consecutive failures the circuit opens, and calls short-circuit without touching the inner store', async () => {
    const store = make();
    await openCircuit(store);
    const reached = inner.calls.length;

    const outcomes = await Promise.all(Array.from({ length: 20 }, () => store.lookup(lookupOf('t'))));

    expect(outcomes.every((o) => o.kind === 'unavailable' && o.reason === 'circuit-open')).toBe(true);
    expect(inner.calls).toHaveLength(reached);
    expect(store.stats()).toMatchObject({ state: 'open', failures: 3, shortCircuits: 20 });
  });

  it('a success between failures resets the count, so scattered failures never open the circuit', async () => {
    const store = make();

    for (let i = 0; i < 10; i += 1) {
      inner.set('fail');
      await store.lookup(lookupOf('t'));
      await store.lookup(lookupOf('t'));
      inner.set('ok');
      expect((await store.lookup(lookupOf('t'))).kind).toBe('miss');
    }

    expect(store.state).toBe('closed');
    expect(changes).toEqual([]);
  });

  it('after openMs one probe goes through while the others short-circuit, and its success closes the circuit', async () => {
    const store = make();
    await openCircuit(store);
    now += 1_000;
    inner.set({ delayMs: 10 });
    const reached = inner.calls.length;

    const probe = store.lookup(lookupOf('t'));
    const during = await store.lookup(lookupOf('t'));
    expect(store.state).toBe('half-open');
    const probed = await probe;

    expect(during).toEqual({ kind: 'unavailable', reason: 'circuit-open' });
    expect(probed.kind).toBe('miss');
    expect(inner.calls).toHaveLength(reached + 1);
    expect(store.state).toBe('closed');
  });

  it('a failed probe opens the circuit again for another openMs', async () => {
    const store = make();
    await openCircuit(store);
    now += 1_000;

    await store.lookup(lookupOf('t')); // the probe, failing
    expect(store.state).toBe('open');
    now += 999;
    expect(await store.lookup(lookupOf('t'))).toEqual({ kind: 'unavailable', reason: 'circuit-open' });
    now += 1;
    inner.set('ok');

    expect((await store.lookup(lookupOf('t'))).kind).toBe('miss');
    expect(stateChanges()).toEqual([
      'closed → open',
      'open → half-open',
      'half-open → open',
      'open → half-open',
      'half-open → closed',
    ]);
  });

  it('reports each state change once, with its reason, however many requests see the outage', async () => {
    const store = make();
    inner.set('hang');

    for (let i = 0; i < 100; i += 1) await Promise.all([store.lookup(lookupOf('t')), store.put({ tag: 't', baseKey: 'k', generations: [1], value: 'v', ttlSeconds: 1, storedAt: now })]);
    now += 1_000;
    inner.set('ok');
    for (let i = 0; i < 100; i += 1) await store.lookup(lookupOf('t'));

    expect(changes).toEqual([
      `closed → open: 3 consecutive failures (last: timeout after ${TIMEOUT_MS} ms)`,
      'open → half-open: open for 1000 ms; probing',
      'half-open → closed: probe succeeded',
    ]);
    // A timer that fired late on a loaded machine is not blamed on the store (lateTimeouts): the
    // circuit then opens a call or two later, and fewer calls short-circuit.
    const stats = store.stats();
    expect(stats.calls).toBe(300);
    expect(stats.timeouts).toBeGreaterThanOrEqual(4);
    expect(stats.timeouts + stats.lateTimeouts + stats.shortCircuits).toBe(200);
  });

  it('a raise that fails is unavailable and remembered nowhere: the next lookup is one call, the floors of the caller do the invalidating', async () => {
    const store = make();
    inner.set('fail', ['raise']);

    expect(await store.raise({ tag: 't', facts: ['positions'], generations: [5] })).toEqual({ kind: 'unavailable', reason: 'error' });
    inner.calls.length = 0;
    const found = await store.lookup({ ...lookupOf('t'), floors: [5] });

    expect(inner.calls).toEqual(['lookup t']);
    expect(found).toMatchObject({ kind: 'miss', generations: [5], entry: null });
  });

  it('a timeout whose timer fired late because the event loop was blocked is not blamed on the store: the circuit stays closed', async () => {
    const store = make({ failureThreshold: 1 });
    inner.set('hang', ['lookup']);

    const pending = store.lookup(lookupOf('t'));
    const blockedUntil = performance.now() + TIMEOUT_MS + 150;
    while (performance.now() < blockedUntil) {
      // The process is busy: its timers cannot fire.
    }
    const outcome = await pending;

    expect(outcome).toEqual({ kind: 'unavailable', reason: 'timeout' });
    expect(store.state).toBe('closed');
    expect(store.stats()).toMatchObject({ failures: 0, timeouts: 0, lateTimeouts: 1 });
    // On time, the same hang is the store's fault.
    await store.lookup(lookupOf('t'));
    expect(store.state).toBe('open');
    expect(store.stats()).toMatchObject({ failures: 1, timeouts: 1, lateTimeouts: 1 });
  });
});

describe('ResilientStore over Redis during outages', () => {
  jest.setTimeout(20_000);
  const TIMEOUT_MS = 100;
  const SLACK_MS = 50;

  let server: RedisServer;
  let client: Redis;
  let store: ResilientStore;
  let changes: [CircuitState, CircuitState][];
  /** Every call's latency in ms, and whatever was thrown (must stay empty). */
  let latencies: number[];
  let thrown: unknown[];

  beforeEach(async () => {
    server = await startRedisServer();
    client = createRedisClient({
      target: { kind: 'single', url: server.url },
      // As the gateway builds it: ioredis's own timeout is a distant backstop, the store's is the bound.
      commandTimeoutMs: TIMEOUT_MS * 10,
      // Reconnect quickly, so recovery is seen within the test.
      maxReconnectDelayMs: 100,
    }) as Redis;
    await waitForReady(client);
    changes = [];
    latencies = [];
    thrown = [];
    store = new ResilientStore(new RedisStore(client), {
      timeoutMs: TIMEOUT_MS,
      openMs: 300,
      onStateChange: (from, to) => changes.push([from, to]),
    });
  });

  afterEach(async () => {
    await store.close();
    await server.stop();
  });

  /** Runs one call, recording its latency and anything it throws. */
  async function timed<T>(call: () => Promise<T>): Promise<T | undefined> {
    const started = performance.now();
    try {
      return await call();
    } catch (error) {
      thrown.push(error);
      return undefined;
    } finally {
      latencies.push(performance.now() - started);
    }
  }

  /** A request as the plugin makes it: look up, and on a miss compute and put. */
  async function request(tag: string, baseKey: string): Promise<LookupOutcome | undefined> {
    const outcome = await timed(() => store.lookup({ tag, facts: ['positions', 'marks'], baseKey }));
    if (outcome?.kind === 'miss') {
      const put = { tag, baseKey, generations: outcome.generations, value: `value of ${baseKey}`, ttlSeconds: 30 };
      await timed(() => store.put({ ...put, storedAt: Date.now() }));
    }
    return outcome;
  }

  /** Requests until one is served by the store again; resolves to how long that took in ms. */
  async function untilRecovered(tag: string, limitMs = 8_000): Promise<number> {
    const started = performance.now();
    for (;;) {
      const outcome = await request(tag, 'recovery-probe');
      if (outcome !== undefined && outcome.kind !== 'unavailable') return performance.now() - started;
      if (performance.now() - started > limitMs) throw new Error(`not recovered within ${limitMs} ms`);
      await sleep(20);
    }
  }

  const maxLatency = () => Math.max(...latencies);

  it('killed during a stream of 200 lookups and puts: nothing throws, each call is bounded, the circuit opens, and after a restart on the same port requests hit again', async () => {
    const tag = randomTag('killed');
    const outcomes: (LookupOutcome | undefined)[] = [];

    for (let round = 0; round < 20; round += 1) {
      // Kill while a round of ten concurrent requests is in flight.
      const killing = round === 5 ? server.kill() : Promise.resolve();
      outcomes.push(...(await Promise.all(Array.from({ length: 10 }, (_, i) => request(tag, `k${i}`)))));
      await killing;
      await sleep(10);
    }
    const duringOutage = maxLatency();
    expect(changes[0]).toEqual(['closed', 'open']);
    expect(store.stats().shortCircuits).toBeGreaterThan(0);

    await server.restart();
    const recoveryMs = await untilRecovered(tag);
    await request(tag, 'after');
    const hit = await request(tag, 'after');

    expect(thrown).toEqual([]);
    expect(outcomes).toHaveLength(200);
    expect(duringOutage).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    expect(maxLatency()).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    expect(hit).toMatchObject({ kind: 'hit', entry: { value: 'value of after' } });
    expect(store.state).toBe('closed');
    process.stdout.write(
      `killed: max latency ${duringOutage.toFixed(1)} ms over ${latencies.length} calls, recovered ${recoveryMs.toFixed(0)} ms after restart; ${JSON.stringify(store.stats())}\n`,
    );
  });

  it('paused for 1.5 s (CLIENT PAUSE ALL): calls stay bounded; a raise that never reached Redis is made good by the floor of the next lookup', async () => {
    const tag = randomTag('paused');
    const first = await request(tag, 'book'); // miss, then put
    const before = await request(tag, 'book');
    expect(before).toMatchObject({ kind: 'hit', entry: { value: 'value of book' } });
    const generations = first !== undefined && first.kind !== 'unavailable' ? first.generations : [];
    const committed = [generations[0]!, generations[1]! + 1];

    await server.pause(1_500);
    const pausedAt = performance.now();
    while (store.state === 'closed') await request(tag, 'book');
    // The circuit is open: this raise is not even sent.
    const raised = await timed(() => store.raise({ tag, facts: ['positions', 'marks'], generations: committed }));
    expect(raised).toEqual({ kind: 'unavailable', reason: 'circuit-open' });
    while (performance.now() - pausedAt < 1_500) {
      await request(tag, 'book');
      await sleep(20);
    }
    const recoveryMs = await untilRecovered(tag);
    const after = await timed(() => store.lookup({ tag, facts: ['positions', 'marks'], baseKey: 'book', floors: committed }));

    expect(thrown).toEqual([]);
    expect(maxLatency()).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    // The entry from before the write is not served: the floor moved the lookup past it.
    expect(after).toEqual({ kind: 'miss', generations: committed, entry: null });
    process.stdout.write(
      `paused: max latency ${maxLatency().toFixed(1)} ms over ${latencies.length} calls, recovered ${recoveryMs.toFixed(0)} ms after the pause; ${JSON.stringify(store.stats())}\n`,
    );
  });

  it('a reply that arrived while the event loop was blocked past the timeout is taken, not timed out', async () => {
    // As the gateway builds it: ioredis's own command timeout is only a distant backstop.
    const backstopped = createRedisClient({ target: { kind: 'single', url: server.url }, commandTimeoutMs: 10_000 }) as Redis;
    await waitForReady(backstopped);
    const patient = new ResilientStore(new RedisStore(backstopped), { timeoutMs: TIMEOUT_MS, failureThreshold: 1 });
    try {
      const tag = randomTag('blocked');
      const lookup = { tag, facts: ['positions'], baseKey: 'book' };
      await patient.lookup(lookup); // scripts loaded, generations known: the next lookup is one MGET
      const pending = patient.lookup(lookup);
      const blockedUntil = performance.now() + TIMEOUT_MS * 3;
      while (performance.now() < blockedUntil) {
        // Redis answers within a millisecond; the reply waits in the socket.
      }

      expect(await pending).toMatchObject({ kind: 'miss' });
      expect(patient.state).toBe('closed');
      expect(patient.stats()).toMatchObject({ failures: 0, lateTimeouts: 0 });
    } finally {
      await patient.close();
    }
  });

  it('asleep for 0.5 s (DEBUG SLEEP): calls stay bounded and nothing throws', async () => {
    const tag = randomTag('slow');
    await request(tag, 'book');
    const sleeping = server.sleep(0.5);
    await sleep(30); // let redis-cli reach the server

    const started = performance.now();
    while (performance.now() - started < 600) {
      await request(tag, 'book');
      await sleep(10);
    }
    await sleeping;
    const recoveryMs = await untilRecovered(tag);

    expect(thrown).toEqual([]);
    expect(store.stats().timeouts).toBeGreaterThan(0);
    expect(maxLatency()).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    process.stdout.write(
      `slow: max latency ${maxLatency().toFixed(1)} ms over ${latencies.length} calls, recovered ${recoveryMs.toFixed(0)} ms after waking; ${JSON.stringify(store.stats())}\n`,
    );
  });
  it('with local copies: while Redis is down no copy is served, and after a restart that lost the generations neither', async () => {
    // The operation cache's use: whole responses as bytes, with a TTL, so the store keeps copies.
    const copies = new ResilientStore(new RedisStore(client, { ownsClient: false, localCopyMaxBytes: 1_000_000 }), { timeoutMs: TIMEOUT_MS, openMs: 300 });
    const tag = randomTag('copies');
    const lookup = { tag, facts: ['positions', 'marks'], baseKey: 'op', ttlSeconds: 30 };
    const first = await copies.lookupBytes!(lookup);
    const generations = first.kind !== 'unavailable' ? first.generations : [];
    expect(generations).toHaveLength(2);
    await copies.put({ ...lookup, generations, value: Buffer.from('{"data":1}'), storedAt: Date.now() });
    await copies.lookupBytes!(lookup); // the first read keeps a copy
    // Deleted from Redis, the entry can only come from the copy: it is there.
    await client.del(redisEntryKey(tag, 'op', generations));
    expect(await copies.lookupBytes!(lookup)).toMatchObject({ kind: 'hit', entry: { bytes: Buffer.from('{"data":1}') } });

    await server.kill();
    const down = await Promise.all(Array.from({ length: 10 }, () => timed(() => copies.lookupBytes!(lookup))));
    expect(down.every((outcome) => outcome !== undefined && outcome.kind === 'unavailable')).toBe(true);

    await server.restart();
    let after: LookupBytesOutcome | undefined;
    const started = performance.now();
    do {
      await sleep(20);
      after = await timed(() => copies.lookupBytes!(lookup));
    } while ((after === undefined || after.kind === 'unavailable') && performance.now() - started < 8_000);
    expect(after).toMatchObject({ kind: 'miss', entry: null });
    expect(thrown).toEqual([]);
    expect(maxLatency()).toBeLessThan(TIMEOUT_MS + SLACK_MS);
  });
});
