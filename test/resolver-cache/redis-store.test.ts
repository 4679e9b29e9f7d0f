import type { Redis } from 'ioredis';
import { createRedisClient, waitForReady } from '../../src/resolver-cache/store/redis-client';
import { RedisStore } from '../../src/resolver-cache/store/redis-store';
import { redisEntryKey, redisGenerationKey } from '../../src/resolver-cache/store/store-keys';
import { describeCacheStoreContract, randomTag } from './cache-store.contract';

/**
 * The machine's Redis, logical DB 11, which only these suites use. Nothing is ever flushed: every
 * test makes its own random tags, entries expire by TTL, and the few generation counters left
 * behind are a handful of small keys per run.
 */
const TEST_REDIS_URL = process.env.RESOLVER_CACHE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/11';

async function connect(): Promise<Redis> {
  // A generous command timeout: these suites test the store, not its behaviour under a slow CI.
  const client = createRedisClient({ target: { kind: 'single', url: TEST_REDIS_URL }, commandTimeoutMs: 5_000 });
  await waitForReady(client);
  return client as Redis;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describeCacheStoreContract('RedisStore on a single node', async () => ({
  store: new RedisStore(await connect()),
  elapse: sleep,
  readsAlongside: false,
}));

describeCacheStoreContract('RedisStore on a single node, with local copies', async () => ({
  store: new RedisStore(await connect(), { localCopyMaxBytes: 1_000_000 }),
  elapse: sleep,
}));

describe('RedisStore on a single node', () => {
  let client: Redis;
  let store: RedisStore;
  /** Names of the commands the store's client sent, in order. */
  let sent: string[];

  beforeAll(async () => {
    client = await connect();
    store = new RedisStore(client, { ownsClient: false });
    // Observe what goes on the wire by wrapping the client's own sendCommand (not a mock: the
    // command still goes to Redis).
    const send = client.sendCommand.bind(client);
    sent = [];
    client.sendCommand = (command, stream) => {
      sent.push(command.name);
      return send(command, stream);
    };
  });

  afterAll(async () => {
    await store.close();
    await client.quit();
  });

  it('keeps generations under rc:{tag}:g:<fact> without a TTL, and entries under rc:{tag}:v:<baseKey>:<g1>.<g2> with one', async () => {
    const tag = randomTag();
    const request = { tag, facts: ['positions', 'marks'], baseKey: 'Query.book:abc' };
    const { generations } = await store.lookup(request);
    await store.put({ ...request, generations, value: '{"a":1}', ttlSeconds: 30, storedAt: 1_750_000_000_000 });

    const entryKey = `rc:{${tag}}:v:Query.book:abc:${generations[0]}.${generations[1]}`;
    expect(redisEntryKey(tag, 'Query.book:abc', generations)).toBe(entryKey);
    expect(await client.get(`rc:{${tag}}:g:positions`)).toBe(String(generations[0]));
    expect(await client.pttl(`rc:{${tag}}:g:positions`)).toBe(-1);
    expect(await client.get(entryKey)).toBe('1750000000000|{"a":1}');
    const ttl = await client.pttl(entryKey);
    expect(ttl).toBeGreaterThan(29_000);
    expect(ttl).toBeLessThanOrEqual(30_000);
  });

  it('escapes braces and percent signs of a tag so the hash tag holds the whole tag', () => {
    expect(redisGenerationKey('a}b{c%d', 'f')).toBe('rc:{a%7Db%7Bc%25d}:g:f');
  });

  it('sends one command per lookup and per raise, whatever the number of facts: MGET once the generations are known', async () => {
    const request = { tag: randomTag(), facts: ['a', 'b', 'c', 'd'], baseKey: 'k' };
    const { generations } = await store.lookup(request); // loads the scripts (EVALSHA answered NOSCRIPT, then EVAL) if needed
    await store.raise({ tag: request.tag, facts: ['a'], generations: [generations[0]! + 1] });
    await store.lookup(request);
    sent.length = 0;

    await store.lookup(request);
    await store.lookupBytes(request);
    await store.raise({ tag: request.tag, facts: ['a', 'b', 'c'], generations: [9, 9, 9] });

    expect(sent).toEqual(['mget', 'mget', 'evalsha']);
  });

  it('with a floor above what it remembered, asks the script at once, which raises the counter', async () => {
    const request = { tag: randomTag(), facts: ['positions'], baseKey: 'k' };
    const { generations } = await store.lookup(request);
    sent.length = 0;

    const floored = await store.lookup({ ...request, floors: [generations[0]! + 3] });

    // The guess (the floor) disagreed with Redis in the MGET; the script raised it.
    expect(sent).toEqual(['mget', 'evalsha']);
    expect(floored.generations).toEqual([generations[0]! + 3]);
    expect(await client.get(redisGenerationKey(request.tag, 'positions'))).toBe(String(generations[0]! + 3));
  });

  it('runs the script for generations it has never seen, once, and MGET after', async () => {
    const request = { tag: randomTag(), facts: ['positions', 'marks'], baseKey: 'k' };
    sent.length = 0;

    const first = await store.lookup(request);
    const second = await store.lookup(request);

    expect(sent).toEqual(['evalsha', 'mget']);
    expect(second).toEqual(first);
  });

  it("sees another process's raise at once: the generations it remembered are checked, the old entry is not served", async () => {
    const other = new RedisStore(await connect());
    try {
      const tag = randomTag();
      const request = { tag, facts: ['positions', 'marks'], baseKey: 'k' };
      const { generations } = await store.lookup(request);
      await store.put({ ...request, generations, value: 'before', ttlSeconds: 30, storedAt: 1 });
      expect((await store.lookup(request)).entry?.value).toBe('before');

      const bumped = generations[1]! + 1;
      await other.raise({ tag, facts: ['marks'], generations: [bumped] });
      sent.length = 0;
      const after = await store.lookupBytes(request);

      expect(after).toEqual({ kind: 'miss', generations: [generations[0], bumped], entry: null });
      // The MGET saw the moved generation; the script answered.
      expect(sent).toEqual(['mget', 'evalsha']);
      sent.length = 0;
      await store.lookup(request);
      expect(sent).toEqual(['mget']);
    } finally {
      await other.close();
    }
  });

  it('with rememberedGenerations 0, every lookup runs the script', async () => {
    const forgetful = new RedisStore(client, { ownsClient: false, rememberedGenerations: 0 });
    const request = { tag: randomTag(), facts: ['positions'], baseKey: 'k' };
    sent.length = 0;

    await forgetful.lookup(request);
    await forgetful.lookup(request);

    expect(sent).toEqual(['evalsha', 'evalsha']);
  });

  it('remembers at most rememberedGenerations counters: the least recently seen is forgotten, and its next lookup runs the script', async () => {
    const bounded = new RedisStore(client, { ownsClient: false, rememberedGenerations: 2 });
    const tag = randomTag();
    const lookup = (fact: string) => bounded.lookup({ tag, facts: [fact], baseKey: 'k' });
    await lookup('a');
    await lookup('b');
    sent.length = 0;
    await lookup('a');
    await lookup('b');
    expect(sent).toEqual(['mget', 'mget']);

    await lookup('c'); // a third counter: a, the least recently seen, is forgotten
    sent.length = 0;
    await lookup('b');
    await lookup('c');
    await lookup('a');
    expect(sent).toEqual(['mget', 'mget', 'evalsha']);
  });

  it('reads the alongside entries inside the script too, at the generations it has just read', async () => {
    const forgetful = new RedisStore(client, { ownsClient: false, rememberedGenerations: 0, localCopyMaxBytes: 1_000_000 });
    const tag = randomTag();
    const request = { tag, facts: ['marks', 'positions'], baseKey: 'op', alongside: () => [{ baseKey: 'field', factIndexes: [1] }] };
    const { generations } = await forgetful.lookupBytes(request);
    await forgetful.put({ tag, baseKey: 'field', generations: [generations[1]!], value: 'F', ttlSeconds: 30, storedAt: 7 });
    sent.length = 0;

    const found = await forgetful.lookupBytes(request);

    expect(sent).toEqual(['evalsha']);
    expect(found).toMatchObject({ kind: 'miss', alongside: [{ value: 'F', storedAt: 7 }] });
  });

  it('after the generation counters are lost, as on a restart without persistence, they come back at the floors: the entry from before the last raise is not served', async () => {
    const tag = randomTag();
    const request = { tag, facts: ['positions'], baseKey: 'k' };
    const { generations } = await store.lookup(request);
    await store.put({ ...request, generations, value: 'before', ttlSeconds: 30, storedAt: 1 });
    const committed = generations[0]! + 2;
    await store.raise({ tag, facts: ['positions'], generations: [committed] });

    await client.del(redisGenerationKey(tag, 'positions'));
    const after = await store.lookup({ ...request, floors: [committed] });

    expect(after).toEqual({ kind: 'miss', generations: [committed], entry: null });
  });

  it('reads a value it did not write under an entry key as a miss', async () => {
    const request = { tag: randomTag(), facts: ['positions'], baseKey: 'k' };
    const { generations } = await store.lookup(request);

    await client.set(redisEntryKey(request.tag, 'k', generations), 'no bar here', 'PX', 30_000);

    expect((await store.lookup(request)).entry).toBeNull();
  });
});

describe('RedisStore with local copies', () => {
  let client: Redis;
  let other: RedisStore;
  let now: number;
  let store: RedisStore;
  let sent: string[];

  beforeAll(async () => {
    client = await connect();
    other = new RedisStore(await connect());
    const send = client.sendCommand.bind(client);
    client.sendCommand = (command, stream) => {
      sent.push(command.name);
      return send(command, stream);
    };
  });
  beforeEach(() => {
    now = Date.now();
    sent = [];
    store = new RedisStore(client, { ownsClient: false, localCopyMaxBytes: 1_000_000, now: () => now });
  });
  afterAll(async () => {
    await other.close();
    await client.quit();
  });

  /** An entry put (as the operation cache puts whole responses) and read once, and its request. */
  async function stored(value = '{"data":{"book":1}}') {
    const request = { tag: randomTag(), facts: ['positions', 'marks'], baseKey: 'op', ttlSeconds: 30 };
    const { generations } = await store.lookupBytes(request);
    await store.put({ ...request, generations, value, ttlSeconds: 30, storedAt: now });
    expect((await store.lookupBytes(request)).entry?.bytes.toString()).toBe(value);
    return { request, generations, key: redisEntryKey(request.tag, 'op', generations) };
  }

  it('keeps a copy of an entry on its first read, not when it puts it', async () => {
    const request = { tag: randomTag(), facts: ['positions'], baseKey: 'op', ttlSeconds: 30 };
    const { generations } = await store.lookupBytes(request);
    const key = redisEntryKey(request.tag, 'op', generations);
    await store.put({ ...request, generations, value: Buffer.from('put'), ttlSeconds: 30, storedAt: now });
    await client.del(key);
    expect((await store.lookupBytes(request)).entry).toBeNull();

    await store.put({ ...request, generations, value: 'read', ttlSeconds: 30, storedAt: now });
    expect((await store.lookupBytes(request)).entry?.bytes.toString()).toBe('read');
    await client.del(key);
    expect((await store.lookupBytes(request)).entry?.bytes.toString()).toBe('read');
  });

  it('serves an entry it holds after reading only the generations from Redis', async () => {
    const { request, generations, key } = await stored();
    // Gone from Redis, the entry can only come from the copy: what a hit reads is the generations.
    await client.del(key);
    sent.length = 0;

    const hit = await store.lookupBytes(request);

    expect(hit.generations).toEqual(generations);
    expect(hit.entry?.bytes.toString()).toBe('{"data":{"book":1}}');
    expect(sent).toEqual(['mget']);
  });

  it('never serves its copy when a floor is above the generations it was read at', async () => {
    const { request, generations } = await stored();
    sent.length = 0;

    const after = await store.lookupBytes({ ...request, floors: [generations[0]!, generations[1]! + 1] });

    expect(after.entry).toBeNull();
    expect(after.generations).toEqual([generations[0], generations[1]! + 1]);
  });

  it('serves its copy without asking for the alongside keys', async () => {
    const { request } = await stored();
    const alongside = jest.fn(() => [{ baseKey: 'field', factIndexes: [0] }]);

    const hit = await store.lookupBytes({ ...request, alongside });

    expect(hit.entry?.bytes.toString()).toBe('{"data":{"book":1}}');
    expect(alongside).not.toHaveBeenCalled();
  });

  it("never serves its copy once another process's raise moved a generation", async () => {
    const { request, generations } = await stored();
    const bumped = generations[1]! + 1;
    await other.raise({ tag: request.tag, facts: ['marks'], generations: [bumped] });
    sent.length = 0;

    const after = await store.lookupBytes(request);

    expect(after.entry).toBeNull();
    expect(after.generations[1]).toBe(bumped);
    expect(sent).toEqual(['mget', 'evalsha']);
  });

  it('never serves its copy past the TTL the request gives', async () => {
    const { request, key } = await stored();
    await client.del(key);
    now += 30_001;

    expect((await store.lookupBytes(request)).entry).toBeNull();
  });

  it('keeps a copy of an entry read from Redis (another process wrote it), and none without a TTL in the request', async () => {
    const request = { tag: randomTag(), facts: ['positions'], baseKey: 'op' };
    const { generations } = await other.lookupBytes(request);
    await other.put({ ...request, generations, value: 'theirs', ttlSeconds: 30, storedAt: now });

    expect((await store.lookupBytes(request)).entry?.bytes.toString()).toBe('theirs'); // no TTL: no copy
    await client.del(redisEntryKey(request.tag, 'op', generations));
    expect((await store.lookupBytes(request)).entry).toBeNull();

    await other.put({ ...request, generations, value: 'again', ttlSeconds: 30, storedAt: now });
    expect((await store.lookupBytes({ ...request, ttlSeconds: 30 })).entry?.bytes.toString()).toBe('again');
    await client.del(redisEntryKey(request.tag, 'op', generations));
    expect((await store.lookupBytes({ ...request, ttlSeconds: 30 })).entry?.bytes.toString()).toBe('again');
  });
});
