import { MemoryStore } from '../../src/resolver-cache/store/memory-store';
import { describeCacheStoreContract } from './cache-store.contract';

/** A clock that moves only when told to, starting at real time so generations look real. */
function fakeClock(): { now: () => number; advance: (ms: number) => void } {
  let now = Date.now();
  return {
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
  };
}

describeCacheStoreContract('MemoryStore', () => {
  const clock = fakeClock();
  return Promise.resolve({
    store: new MemoryStore({ now: clock.now }),
    elapse: (ms: number) => {
      clock.advance(ms);
      return Promise.resolve();
    },
  });
});

describe('MemoryStore bounds', () => {
  const request = (baseKey: string) => ({ tag: 't', facts: ['f'], baseKey });

  it('past maxBytes (key + value lengths) the least recently used entry is evicted, and a read counts as a use', async () => {
    // Measure one entry's bytes, then allow three and a bit.
    const probe = new MemoryStore();
    const probed = await probe.lookup(request('k0'));
    await probe.put({ ...request('k0'), generations: probed.generations, value: 'x'.repeat(100), ttlSeconds: 60, storedAt: 1 });
    const perEntry = probe.stats().bytes;
    expect(perEntry).toBe('1:t2:k0'.length + String(probed.generations[0]).length + 100);
    const maxBytes = 3 * perEntry + 10;
    const store = new MemoryStore({ maxBytes });
    const { generations } = await store.lookup(request('k1'));
    const put = (baseKey: string) =>
      store.put({ ...request(baseKey), generations, value: 'x'.repeat(100), ttlSeconds: 60, storedAt: 1 });
    await put('k1');
    await put('k2');
    await put('k3');
    expect(store.stats()).toMatchObject({ entries: 3, evictedEntries: 0 });

    await store.lookup(request('k1')); // k1 is now more recent than k2
    await put('k4');

    expect(store.stats()).toMatchObject({ entries: 3, evictedEntries: 1 });
    expect(store.stats().bytes).toBeLessThanOrEqual(maxBytes);
    expect((await store.lookup(request('k2'))).entry).toBeNull();
    expect((await store.lookup(request('k1'))).entry).not.toBeNull();
    expect((await store.lookup(request('k4'))).entry).not.toBeNull();
  });

  it('text read as bytes is converted once and kept as bytes, its size counted in bytes from then on', async () => {
    const store = new MemoryStore();
    const { generations } = await store.lookup(request('text'));
    const text = '{"data":"ação"}'; // 15 characters, 17 bytes in UTF-8
    await store.put({ ...request('text'), generations, value: text, ttlSeconds: 30, storedAt: 1 });
    const before = store.stats().bytes;

    const first = await store.lookupBytes(request('text'));
    const second = await store.lookupBytes(request('text'));

    expect(first.entry?.bytes.toString('utf8')).toBe(text);
    expect(second.entry?.bytes).toBe(first.entry?.bytes);
    expect(store.stats().bytes - before).toBe(2);
    expect((await store.lookup(request('text'))).entry?.value).toBe(text);
  });

  it('a hit does not ask for the alongside keys', async () => {
    const store = new MemoryStore();
    const { generations } = await store.lookup(request('op'));
    await store.put({ ...request('op'), generations, value: '{"data":1}', ttlSeconds: 30, storedAt: 1 });
    const alongside = jest.fn(() => [{ baseKey: 'field', factIndexes: [0] }]);

    expect((await store.lookupBytes({ ...request('op'), alongside })).entry).not.toBeNull();
    expect(alongside).not.toHaveBeenCalled();
  });

  it('an entry larger than maxBytes is not stored and evicts nothing', async () => {
    const store = new MemoryStore({ maxBytes: 1_000 });
    const { generations } = await store.lookup(request('small'));
    await store.put({ ...request('small'), generations, value: 'x', ttlSeconds: 60, storedAt: 1 });

    await store.put({ ...request('huge'), generations, value: 'x'.repeat(2_000), ttlSeconds: 60, storedAt: 1 });

    expect((await store.lookup(request('huge'))).entry).toBeNull();
    expect((await store.lookup(request('small'))).entry).not.toBeNull();
    expect(store.stats().evictedEntries).toBe(0);
  });

  it('overwriting an entry replaces its bytes instead of adding to them', async () => {
    const store = new MemoryStore();
    const { generations } = await store.lookup(request('k'));
    await store.put({ ...request('k'), generations, value: 'x'.repeat(50), ttlSeconds: 60, storedAt: 1 });
    const once = store.stats().bytes;

    await store.put({ ...request('k'), generations, value: 'x'.repeat(50), ttlSeconds: 60, storedAt: 2 });

    expect(store.stats()).toMatchObject({ entries: 1, bytes: once });
  });

  it('past maxGenerations the least recently used generation is dropped, and comes back at the floor: an entry stored before a raise stays unreachable', async () => {
    const store = new MemoryStore({ maxGenerations: 2 });
    const floor = 1_750_000_000_000_000;
    const first = await store.lookup({ tag: 't', facts: ['a'], baseKey: 'k', floors: [floor] });
    await store.put({ tag: 't', baseKey: 'k', generations: first.generations, value: 'v', ttlSeconds: 60, storedAt: 1 });
    await store.raise({ tag: 't', facts: ['a'], generations: [floor + 1] }); // a write committed floor + 1
    await store.lookup({ tag: 't', facts: ['b'], baseKey: 'k' });
    await store.lookup({ tag: 't', facts: ['c'], baseKey: 'k' }); // evicts a

    const again = await store.lookup({ tag: 't', facts: ['a'], baseKey: 'k', floors: [floor + 1] });

    expect(store.stats()).toMatchObject({ generations: 2, evictedGenerations: 2 });
    expect(again.generations).toEqual([floor + 1]);
    // The entry under the old generation is unreachable: a miss, never a stale hit.
    expect(again.entry).toBeNull();
  });
});
