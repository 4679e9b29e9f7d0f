import { execFile } from 'node:child_process';
import type { Cluster } from 'ioredis';
import { createRedisClient, waitForReady } from '../../src/resolver-cache/store/redis-client';
import { RedisStore } from '../../src/resolver-cache/store/redis-store';
import { redisEntryKey, redisGenerationKey } from '../../src/resolver-cache/store/store-keys';
import { startRedisServer, type RedisServer } from '../support/redis-server';
import { describeCacheStoreContract, randomTag } from './cache-store.contract';

/**
 * A three-master Redis Cluster of the suite's own, on free loopback ports: the contract holds on
 * Cluster, and the keys of one request (its generations and its entry) share one slot, which is
 * what lets the lookup script read them all on one node.
 */
jest.setTimeout(30_000);

let nodes: RedisServer[] = [];

beforeAll(async () => {
  nodes = await Promise.all([1, 2, 3].map(() => startRedisServer({ cluster: true })));
  await redisCli([
    '--cluster', 'create', ...nodes.map((n) => `${n.host}:${n.port}`),
    '--cluster-replicas', '0', '--cluster-yes',
  ]);
  await waitFor(async () => {
    const states = await Promise.all(nodes.map((n) => n.cli('CLUSTER', 'INFO')));
    return states.every((info) => info.includes('cluster_state:ok'));
  }, 15_000);
});

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
});

async function connectCluster(): Promise<Cluster> {
  const client = createRedisClient({
    target: { kind: 'cluster', nodes: nodes.map((n) => `${n.host}:${n.port}`) },
    commandTimeoutMs: 5_000,
  });
  await waitForReady(client, 10_000);
  return client as Cluster;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describeCacheStoreContract('RedisStore on a three-master Cluster', async () => ({
  store: new RedisStore(await connectCluster()),
  elapse: sleep,
  readsAlongside: false,
}));

describeCacheStoreContract('RedisStore on a three-master Cluster, with local copies', async () => ({
  store: new RedisStore(await connectCluster(), { localCopyMaxBytes: 1_000_000 }),
  elapse: sleep,
}));

describe('RedisStore on a Cluster', () => {
  let client: Cluster;
  let store: RedisStore;

  beforeAll(async () => {
    client = await connectCluster();
    store = new RedisStore(client);
  });

  afterAll(async () => {
    await store.close();
  });

  it("puts a request's generation keys and entry key in one slot, whatever the facts and base key", async () => {
    const tag = randomTag();
    const facts = ['positions', 'marks', 'briefing:2026-11-20'];
    const { generations } = await store.lookup({ tag, facts, baseKey: 'Query.book:abc' });
    const keys = [
      ...facts.map((fact) => redisGenerationKey(tag, fact)),
      redisEntryKey(tag, 'Query.book:abc', generations),
    ];

    const slots = await Promise.all(keys.map((key) => nodes[0]!.cli('CLUSTER', 'KEYSLOT', key)));

    expect(new Set(slots).size).toBe(1);
    // And the counters really live on the node that owns that slot.
    expect(await client.get(keys[0]!)).toBe(String(generations[0]));
  });

  it('spreads different tags over the masters, each lookup running on the node that owns its tag', async () => {
    const tags = Array.from({ length: 30 }, () => randomTag());

    await Promise.all(tags.map((tag) => store.lookup({ tag, facts: ['f'], baseKey: 'k' })));

    const slots = await Promise.all(tags.map((tag) => client.cluster('KEYSLOT', redisGenerationKey(tag, 'f'))));
    // 30 random tags in a few slots would mean the prefix, not the tag, was hashed.
    expect(new Set(slots).size).toBeGreaterThan(20);
    // Every master got some of the counters (DBSIZE counts, it does not scan).
    const sizes = await Promise.all(nodes.map((n) => n.cli('DBSIZE')));
    for (const size of sizes) expect(Number(size)).toBeGreaterThan(0);
  });

  it('keeps a tag with braces in one slot too', async () => {
    const tag = `${randomTag()}}{odd`;
    const { generations } = await store.lookup({ tag, facts: ['a', 'b'], baseKey: 'k' });
    await store.put({ tag, baseKey: 'k', generations, value: 'v', ttlSeconds: 30, storedAt: 1 });

    const slots = await Promise.all(
      [redisGenerationKey(tag, 'a'), redisGenerationKey(tag, 'b'), redisEntryKey(tag, 'k', generations)].map((key) =>
        nodes[0]!.cli('CLUSTER', 'KEYSLOT', key),
      ),
    );

    expect(new Set(slots).size).toBe(1);
    expect((await store.lookup({ tag, facts: ['a', 'b'], baseKey: 'k' })).entry?.value).toBe('v');
  });
});

function redisCli(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('redis-cli', args, { timeout: 20_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`redis-cli ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(100);
  }
}
