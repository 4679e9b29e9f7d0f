import { MemoryStore } from '../../src/resolver-cache/store/memory-store';
import { RedisStore } from '../../src/resolver-cache/store/redis-store';
import { ResilientStore } from '../../src/resolver-cache/store/resilient-store';
import { createRedisClient, waitForReady } from '../../src/resolver-cache/store/redis-client';
import { uid } from '../support/factories';
import { startRedisServer } from '../support/redis-server';

/**
 * The stores' optional lock (acquireLock), which scheduled warming takes: exclusive until it
 * expires, on the memory store's clock and on Redis (SET NX PX); through ResilientStore, a store
 * that cannot answer rejects rather than saying "held".
 */
describe('acquireLock', () => {
  it('MemoryStore: held until its ttl passes, by anyone, its owner too', async () => {
    let now = 1_000_000;
    const store = new MemoryStore({ now: () => now });
    expect(await store.acquireLock({ name: 'warm', owner: 'a', ttlMs: 1_000 })).toEqual({ kind: 'acquired' });
    expect(await store.acquireLock({ name: 'warm', owner: 'b', ttlMs: 1_000 })).toEqual({ kind: 'held' });
    expect(await store.acquireLock({ name: 'warm', owner: 'a', ttlMs: 1_000 })).toEqual({ kind: 'held' });
    expect(await store.acquireLock({ name: 'other', owner: 'b', ttlMs: 1_000 })).toEqual({ kind: 'acquired' });
    now += 999;
    expect(await store.acquireLock({ name: 'warm', owner: 'b', ttlMs: 1_000 })).toEqual({ kind: 'held' });
    now += 1;
    expect(await store.acquireLock({ name: 'warm', owner: 'b', ttlMs: 1_000 })).toEqual({ kind: 'acquired' });
    await expect(store.acquireLock({ name: 'warm', owner: 'b', ttlMs: 0 })).rejects.toThrow(RangeError);
  });

  it('RedisStore: one of many concurrent callers gets it, with the ttl as PTTL', async () => {
    const prefix = `test-lock-${uid(8)}`;
    const clients = [1, 2, 3, 4].map(() => createRedisClient({ target: { kind: 'single', url: 'redis://127.0.0.1:6379' }, commandTimeoutMs: 2_000, connectionName: 'test-lock' }));
    const stores = clients.map((client) => new RedisStore(client, { keyPrefix: prefix }));
    try {
      await Promise.all(clients.map((client) => waitForReady(client, 2_000)));
      const taken = await Promise.all(stores.map((store, i) => store.acquireLock({ name: 'warm', owner: `owner-${i}`, ttlMs: 5_000 })));
      expect(taken.filter((t) => t.kind === 'acquired')).toHaveLength(1);
      const pttl = await clients[0]!.pttl(`${prefix}:lock:warm`);
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(5_000);
      expect(await clients[0]!.get(`${prefix}:lock:warm`)).toBe(`owner-${taken.findIndex((t) => t.kind === 'acquired')}`);
    } finally {
      await clients[0]!.del(`${prefix}:lock:warm`);
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it('ResilientStore: passes the lock through, answers unavailable when Redis is down, and has none over a store without', async () => {
    const redis = await startRedisServer();
    const client = createRedisClient({ target: { kind: 'single', url: redis.url }, commandTimeoutMs: 1_000, connectionName: 'test-lock' });
    const store = new ResilientStore(new RedisStore(client), { timeoutMs: 200 });
    try {
      await waitForReady(client, 2_000);
      expect(await store.acquireLock!({ name: 'warm', owner: 'a', ttlMs: 60_000 })).toEqual({ kind: 'acquired' });
      expect(await store.acquireLock!({ name: 'warm', owner: 'b', ttlMs: 60_000 })).toEqual({ kind: 'held' });
      await redis.kill();
      expect(await store.acquireLock!({ name: 'warm', owner: 'b', ttlMs: 60_000 })).toEqual({ kind: 'unavailable', reason: 'error' });
    } finally {
      await store.close();
      // No reconnection left pending towards the killed server.
      client.disconnect();
      await redis.stop();
    }
    // The required port alone: no capability appears on the wrapper.
    const bare = new ResilientStore({
      lookup: (r) => Promise.resolve({ kind: 'miss', generations: r.facts.map(() => 0), entry: null }),
      put: () => Promise.resolve({ kind: 'written' }),
      raise: () => Promise.resolve({ kind: 'written' }),
      close: () => Promise.resolve(),
    });
    expect(bare.acquireLock).toBeUndefined();
    expect(bare.lookupBytes).toBeUndefined();
    expect(bare.ttlMs).toBeUndefined();
  });
});
