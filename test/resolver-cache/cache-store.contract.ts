import { randomBytes } from 'node:crypto';
import type { CacheStore, LookupBytesOutcome, LookupOutcome, StoreUnavailable } from '../../src/resolver-cache/store/cache-store';

/**
 * A lookup's answer, which a healthy store always gives: hit or miss, never unavailable (that
 * answer is ResilientStore's, for a store that could not be reached: resilient-store.test.ts).
 */
async function answered<T extends LookupOutcome | LookupBytesOutcome>(outcome: Promise<T>): Promise<Exclude<T, StoreUnavailable>> {
  const found = await outcome;
  if (found.kind === 'unavailable') throw new Error(`a healthy store answered unavailable (${found.reason})`);
  return found as Exclude<T, StoreUnavailable>;
}

/** One store under test and the means to let its time pass. */
export interface ContractSubject {
  readonly store: CacheStore;
  /**
   * Lets `ms` of the store's time pass: a fake clock moves for the memory store, a real (short)
   * sleep for Redis. The suite never asks for more than 100 ms.
   */
  elapse(ms: number): Promise<void>;
  /**
   * Whether lookupBytes reads the `alongside` entries (default true). A store may leave them to
   * the caller (RedisStore without local copies: its MGET would carry them on every hit).
   */
  readonly readsAlongside?: boolean;
}

/** A tag no other test (or earlier run, on a shared Redis) has used: suites never flush. */
export function randomTag(label = 'contract'): string {
  return `${label}-${randomBytes(6).toString('hex')}`;
}

/** A committed generation, as the application's source of truth issues them (µs since the epoch). */
const COMMITTED = 1_750_000_000_000_000;

/**
 * The behaviour every CacheStore adapter must have (cache-store.ts). Each adapter's test file calls
 * this once; the subject is made once per suite and tests isolate themselves by random tags.
 */
export function describeCacheStoreContract(name: string, factory: () => Promise<ContractSubject>): void {
  describe(`CacheStore contract: ${name}`, () => {
    let subject: ContractSubject;
    let store: CacheStore;

    beforeAll(async () => {
      subject = await factory();
      store = subject.store;
    });

    /** A write: raises `facts` one above what a lookup reads now; returns the new generations. */
    async function bump(tag: string, facts: readonly string[]): Promise<number[]> {
      const { generations } = await answered(store.lookup({ tag, facts, baseKey: 'bump' }));
      const next = generations.map((g) => g + 1);
      expect(await store.raise({ tag, facts, generations: next })).toEqual({ kind: 'written' });
      return next;
    }

    afterAll(async () => {
      await store.close();
    });

    it('a lookup of unknown facts initializes each generation at its floor, and repeat lookups return the same', async () => {
      const request = { tag: randomTag(), facts: ['positions', 'marks'], baseKey: 'Query.book:a', floors: [COMMITTED, COMMITTED + 1] };

      const first = await answered(store.lookup(request));
      const second = await answered(store.lookup(request));

      expect(first.entry).toBeNull();
      expect(first.generations).toEqual([COMMITTED, COMMITTED + 1]);
      expect(second.generations).toEqual(first.generations);
    });

    it('lookupBytes reads the alongside entries in the same call, each at its own facts, when the entry is absent', async () => {
      if (subject.readsAlongside === false) {
        const request = { tag: randomTag(), facts: ['marks'], baseKey: 'op', alongside: () => [{ baseKey: 'field', factIndexes: [0] }] };
        const found = await answered(store.lookupBytes!(request));
        expect(found.kind === 'miss' && found.alongside).toBeUndefined();
        return;
      }
      const tag = randomTag();
      const request = {
        tag,
        facts: ['marks', 'positions'],
        baseKey: 'op',
        ttlSeconds: 30,
        // A field stored at the generation of `positions` only, and one at both in the other order.
        alongside: () => [
          { baseKey: 'field:positions', factIndexes: [1] },
          { baseKey: 'field:both', factIndexes: [1, 0] },
        ],
      };
      const first = await answered(store.lookupBytes!(request));
      expect(first).toMatchObject({ kind: 'miss', entry: null, alongside: [null, null] });
      const [marks, positions] = first.generations as [number, number];

      await store.put({ tag, baseKey: 'field:positions', generations: [positions], value: '{"p":1}', ttlSeconds: 30, storedAt: 1_750_000_000_001 });
      await store.put({ tag, baseKey: 'field:both', generations: [positions, marks], value: '{"b":2}', ttlSeconds: 30, storedAt: 1_750_000_000_002 });
      const second = await answered(store.lookupBytes!(request));
      expect(second).toMatchObject({
        kind: 'miss',
        entry: null,
        alongside: [
          { value: '{"p":1}', storedAt: 1_750_000_000_001 },
          { value: '{"b":2}', storedAt: 1_750_000_000_002 },
        ],
      });

      // A bump of `marks` moves only the entry stored at it.
      await bump(tag, ['marks']);
      const third = await answered(store.lookupBytes!(request));
      expect(third).toMatchObject({ kind: 'miss', alongside: [{ value: '{"p":1}', storedAt: 1_750_000_000_001 }, null] });

      // The entry itself found: the alongside entries are not needed.
      await store.put({ tag, baseKey: 'op', generations: third.generations, value: Buffer.from('{"data":1}'), ttlSeconds: 30, storedAt: 1_750_000_000_003 });
      expect((await answered(store.lookupBytes!(request))).entry?.bytes.toString()).toBe('{"data":1}');
    });

    it('a put at the generations a lookup returned is a hit for the next lookup, with the value and storedAt', async () => {
      const request = { tag: randomTag(), facts: ['positions', 'marks'], baseKey: 'Query.book:a' };
      const miss = await answered(store.lookup(request));
      expect(miss.kind).toBe('miss');
      const { generations } = miss;

      expect(await store.put({ ...request, generations, value: '{"nav":"100.00"}', ttlSeconds: 30, storedAt: 1_750_000_000_123 })).toEqual({ kind: 'written' });
      const hit = await answered(store.lookup(request));

      expect(hit).toEqual({ kind: 'hit', generations, entry: { value: '{"nav":"100.00"}', storedAt: 1_750_000_000_123 } });
    });

    it('after a raise of one of its facts the same base key misses, and only that fact moved', async () => {
      const tag = randomTag();
      const request = { tag, facts: ['positions', 'marks'], baseKey: 'Query.book:a' };
      const before = await answered(store.lookup(request));
      await store.put({ ...request, generations: before.generations, value: 'v', ttlSeconds: 30, storedAt: 1 });

      await store.raise({ tag, facts: ['marks'], generations: [before.generations[1]! + 7] });
      const after = await answered(store.lookup(request));

      expect(after.entry).toBeNull();
      expect(after.generations).toEqual([before.generations[0], before.generations[1]! + 7]);
    });

    it('a raise never lowers a counter', async () => {
      const tag = randomTag();
      const request = { tag, facts: ['positions'], baseKey: 'k' };
      await store.raise({ tag, facts: ['positions'], generations: [COMMITTED + 10] });
      await store.raise({ tag, facts: ['positions'], generations: [COMMITTED + 3] });

      expect((await answered(store.lookup(request))).generations).toEqual([COMMITTED + 10]);
    });

    it('a raise in one tag leaves the same facts of another tag, and their entries, untouched', async () => {
      const mine = { tag: randomTag(), facts: ['positions'], baseKey: 'Query.book:a' };
      const theirs = { ...mine, tag: randomTag() };
      const theirsBefore = await answered(store.lookup(theirs));
      await store.put({ ...theirs, generations: theirsBefore.generations, value: 'theirs', ttlSeconds: 30, storedAt: 1 });

      await answered(store.lookup(mine));
      await bump(mine.tag, ['positions']);
      const theirsAfter = await answered(store.lookup(theirs));

      expect(theirsAfter.generations).toEqual(theirsBefore.generations);
      expect(theirsAfter.entry?.value).toBe('theirs');
    });

    it('a late put under generations that a raise has moved past is stored but never reachable', async () => {
      const request = { tag: randomTag(), facts: ['positions'], baseKey: 'Query.book:a' };
      // A reader looks up, a writer commits and raises, then the reader writes what it computed.
      const { generations: old } = await answered(store.lookup(request));
      await bump(request.tag, ['positions']);
      await store.put({ ...request, generations: old, value: 'stale', ttlSeconds: 30, storedAt: 1 });

      const next = await answered(store.lookup(request));

      expect(next.entry).toBeNull();
      expect(next.generations[0]).toBeGreaterThan(old[0]!);
      expect(await store.ttlMs!({ ...request, generations: old })).not.toBeNull();
    });

    it('a fact never seen starts at the floor the lookup gives (0 without one)', async () => {
      const tag = randomTag();

      const floored = await answered(store.lookup({ tag, facts: ['fresh'], baseKey: 'k', floors: [COMMITTED] }));
      const plain = await answered(store.lookup({ tag, facts: ['other'], baseKey: 'k' }));

      expect(floored.generations).toEqual([COMMITTED]);
      expect(plain.generations).toEqual([0]);
    });

    it('a counter behind the floor is raised to it (a restarted or restored store), and the entry at the old number is not served', async () => {
      const tag = randomTag();
      const request = { tag, facts: ['positions', 'marks'], baseKey: 'k' };
      const { generations } = await answered(store.lookup(request));
      await store.put({ ...request, generations, value: 'old', ttlSeconds: 30, storedAt: 1 });

      const floors = [generations[0]!, generations[1]! + 5];
      const after = await answered(store.lookup({ ...request, floors }));
      const again = await answered(store.lookup(request));

      expect(after).toEqual({ kind: 'miss', generations: floors, entry: null });
      // The store kept the raise: a lookup without floors sees it too.
      expect(again.generations).toEqual(floors);
      // A floor below the counter changes nothing.
      expect((await answered(store.lookup({ ...request, floors: [0, 0] }))).generations).toEqual(floors);
    });

    it('N concurrent raises of one fact leave its counter at the highest', async () => {
      const tag = randomTag();
      const n = 50;
      const order = Array.from({ length: n }, (_, i) => COMMITTED + ((i * 37) % n));

      await Promise.all(order.map((g) => store.raise({ tag, facts: ['positions'], generations: [g] })));
      const after = await answered(store.lookup({ tag, facts: ['positions'], baseKey: 'k' }));

      expect(after.generations).toEqual([COMMITTED + n - 1]);
    });

    it('entries under different base keys at the same generations are independent', async () => {
      const tag = randomTag();
      const one = { tag, facts: ['positions'], baseKey: 'Query.book:a' };
      const two = { ...one, baseKey: 'Query.book:b' };
      const { generations } = await answered(store.lookup(one));

      await store.put({ ...one, generations, value: 'one', ttlSeconds: 30, storedAt: 1 });

      expect((await answered(store.lookup(one))).entry?.value).toBe('one');
      expect((await answered(store.lookup(two))).entry).toBeNull();
    });

    it('a lookup with no facts keys the entry by its base key alone', async () => {
      const request = { tag: randomTag(), facts: [], baseKey: 'Query.static' };
      const { generations } = await answered(store.lookup(request));

      await store.put({ ...request, generations, value: 'static', ttlSeconds: 30, storedAt: 5 });

      expect(generations).toEqual([]);
      expect((await answered(store.lookup(request))).entry).toEqual({ value: 'static', storedAt: 5 });
    });

    it('values come back exactly as stored, whatever characters they hold', async () => {
      const tag = randomTag();
      // 10 kB, not more: a reply spanning several socket reads makes ioredis's parser start a
      // self-clearing 50 ms interval that jest --detectOpenHandles reports as open.
      const values = ['', '0|1|2', '12345:{"a":1}', 'ünïcødé ✓ 𝄞 "quoted"\n', 'x'.repeat(10_000)];
      for (const [i, value] of values.entries()) {
        const request = { tag, facts: ['f'], baseKey: `k${i}` };
        const { generations } = await answered(store.lookup(request));
        await store.put({ ...request, generations, value, ttlSeconds: 30, storedAt: 1_750_000_000_000 + i });

        expect((await answered(store.lookup(request))).entry).toEqual({ value, storedAt: 1_750_000_000_000 + i });
      }
    });

    it('lookupBytes gives the same generations and the entry as its UTF-8 bytes, whether text or bytes were put', async () => {
      const tag = randomTag();
      const text = { tag, facts: ['positions', 'marks'], baseKey: 'text' };
      const bytes = { tag, facts: ['positions', 'marks'], baseKey: 'bytes' };
      const value = '{"data":{"nav":"ünïcødé ✓ 𝄞 0|1"}}';
      const { generations } = await answered(store.lookup(text));
      await store.put({ ...text, generations, value, ttlSeconds: 30, storedAt: 1_750_000_000_001 });
      await store.put({ ...bytes, generations, value: Buffer.from(value, 'utf8'), ttlSeconds: 30, storedAt: 1_750_000_000_002 });

      const fromText = await answered(store.lookupBytes!(text));
      const fromBytes = await answered(store.lookupBytes!(bytes));

      expect(fromText.generations).toEqual(generations);
      expect(fromText.entry?.storedAt).toBe(1_750_000_000_001);
      expect(Buffer.isBuffer(fromText.entry?.bytes)).toBe(true);
      expect(fromText.entry?.bytes.equals(Buffer.from(value, 'utf8'))).toBe(true);
      expect(fromBytes.entry?.storedAt).toBe(1_750_000_000_002);
      expect(fromBytes.entry?.bytes.toString('utf8')).toBe(value);
      expect((await answered(store.lookup(bytes))).entry).toEqual({ value, storedAt: 1_750_000_000_002 });
    });

    it('lookupBytes initializes unknown facts at their floors and misses after a raise, as lookup does', async () => {
      const request = { tag: randomTag(), facts: ['positions'], baseKey: 'k', floors: [COMMITTED] };
      const first = await answered(store.lookupBytes!(request));
      expect(first.entry).toBeNull();
      expect(first.generations).toEqual([COMMITTED]);
      await store.put({ ...request, generations: first.generations, value: 'v', ttlSeconds: 30, storedAt: 1 });
      expect((await answered(store.lookupBytes!(request))).entry?.bytes.toString()).toBe('v');

      await bump(request.tag, request.facts);
      const after = await answered(store.lookupBytes!(request));

      expect(after.entry).toBeNull();
      expect(after.generations[0]).toBeGreaterThan(first.generations[0]!);
      expect(after).toEqual(await answered(store.lookup(request)));
    });

    it('tags holding braces or key delimiters stay apart from the tags and facts they spell', async () => {
      const base = randomTag();
      // Unescaped, both would name the key <prefix>:{<base>}:g:b}:g:x.
      const tricky = { tag: `${base}}:g:b`, facts: ['x'], baseKey: 'k' };
      const plain = { tag: base, facts: ['b}:g:x'], baseKey: 'k' };
      const { generations } = await answered(store.lookup(plain));

      await bump(tricky.tag, tricky.facts);

      expect((await answered(store.lookup(plain))).generations).toEqual(generations);
    });

    it('ttlMs reports the remaining time to live in ms, counting down, and null for an absent entry', async () => {
      const request = { tag: randomTag(), facts: ['positions'], baseKey: 'k' };
      const { generations } = await answered(store.lookup(request));
      await store.put({ ...request, generations, value: 'v', ttlSeconds: 30, storedAt: 1 });

      const first = await store.ttlMs!({ ...request, generations });
      await subject.elapse(50);
      const later = await store.ttlMs!({ ...request, generations });

      expect(first).toBeGreaterThan(29_000);
      expect(first).toBeLessThanOrEqual(30_000);
      expect(later).toBeLessThanOrEqual(first! - 45);
      expect(await store.ttlMs!({ ...request, baseKey: 'absent', generations })).toBeNull();
    });

    it('an entry is gone once its TTL has passed', async () => {
      const request = { tag: randomTag(), facts: ['positions'], baseKey: 'k' };
      const { generations } = await answered(store.lookup(request));
      // 50 ms: the port's TTL is in seconds but fractions are honoured (to the ms).
      await store.put({ ...request, generations, value: 'v', ttlSeconds: 0.05, storedAt: 1 });
      expect(await store.ttlMs!({ ...request, generations })).toBeLessThanOrEqual(50);

      await subject.elapse(80);

      expect((await answered(store.lookup(request))).entry).toBeNull();
      expect(await store.ttlMs!({ ...request, generations })).toBeNull();
    });

    it('a put with a TTL that is not positive stores nothing', async () => {
      const request = { tag: randomTag(), facts: ['positions'], baseKey: 'k' };
      const { generations } = await answered(store.lookup(request));

      await store.put({ ...request, generations, value: 'v', ttlSeconds: 0, storedAt: 1 });

      expect((await answered(store.lookup(request))).entry).toBeNull();
    });

    it('an empty tag is refused, since it could not keep the keys of a request together', async () => {
      await expect(answered(store.lookup({ tag: '', facts: ['f'], baseKey: 'k' }))).rejects.toThrow(RangeError);
    });
  });
}
