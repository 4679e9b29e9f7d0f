import { ApolloServer } from '@apollo/server';
import { buildSchema, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import type { FieldReport } from '../../src/resolver-cache/outcome';
import type { CacheContext } from '../../src/resolver-cache/request-state';
import type { CachePolicy } from '../../src/resolver-cache/policy';
import { OperationCache } from '../../src/resolver-cache/operation-cache';
import { CachePolicyError, ResolverCache } from '../../src/resolver-cache/resolver-cache';
import type { CacheStore } from '../../src/resolver-cache/store/cache-store';
import { MemoryStore } from '../../src/resolver-cache/store/memory-store';

/**
 * The plugin on a toy schema that has nothing to do with portfolios: weather by city, cached per
 * city, invalidated by the `readings` fact of the city.
 */
const SDL = /* GraphQL */ `
  directive @cached(ttl: Int!) on OBJECT | FIELD_DEFINITION
  type Weather @cached(ttl: 5) { city: String! celsius: Float! computedAt: Int! }
  type Query {
    weather(city: String!, unit: String = "C"): Weather
    forecast(city: String!): Weather @cached(ttl: 2)
    ping: String
  }
  type Mutation { report(city: String!, celsius: Float!): Weather }
`;

interface Ctx extends CacheContext {
  readonly user: string;
  readonly allowed: readonly string[];
}

interface World {
  readings: Map<string, number>;
  computations: number;
  /** When set, the weather resolver waits for it after reading (to interleave with writes). */
  gate: Promise<void> | null;
  failNext: boolean;
}

function toySchema(world: World): GraphQLSchema {
  const schema = buildSchema(SDL);
  const weather: GraphQLFieldResolver<unknown, Ctx, { city: string }> = async (_s, { city }) => {
    world.computations += 1;
    const gate = world.gate;
    const celsius = world.readings.get(city) ?? 20;
    if (gate) await gate;
    if (world.failNext) {
      world.failNext = false;
      throw new Error('sensor offline');
    }
    return { city, celsius, computedAt: world.computations };
  };
  const query = schema.getQueryType()!.getFields();
  query.weather!.resolve = weather as GraphQLFieldResolver<unknown, unknown>;
  query.forecast!.resolve = weather as GraphQLFieldResolver<unknown, unknown>;
  query.ping!.resolve = () => 'pong';
  schema.getMutationType()!.getFields().report!.resolve = (_s, args: { city: string; celsius: number }) => {
    world.readings.set(args.city, args.celsius);
    return { city: args.city, celsius: args.celsius, computedAt: 0 };
  };
  return schema;
}

const byCity = {
  identify: (args: Readonly<Record<string, unknown>>, ctx: Ctx) => {
    const city = String(args.city);
    if (!ctx.allowed.includes(city)) return Promise.reject(new Error(`no access to ${city}`));
    if (city === 'Atlantis') return Promise.resolve({ kind: 'bypass' as const, reason: 'historical' });
    return Promise.resolve({ kind: 'cache' as const, scope: city, args: { unit: args.unit ?? 'C' } });
  },
};

const POLICY: CachePolicy<Ctx> = {
  types: { Weather: { dependsOn: ['readings'] } },
  fields: { 'Query.weather': byCity, 'Query.forecast': byCity },
};

function setup(options: { store?: CacheStore; policy?: CachePolicy<Ctx> } = {}) {
  const world: World = { readings: new Map(), computations: 0, gate: null, failNext: false };
  let now = 1_000_000;
  const store = options.store ?? new MemoryStore({ now: () => now });
  const counts = { hit: 0, miss: 0, bypass: 0, error: 0 };
  const cache = new ResolverCache<Ctx>({
    store,
    policy: options.policy ?? POLICY,
    now: () => now,
    hooks: {
      onHit: () => counts.hit++,
      onMiss: () => counts.miss++,
      onBypass: () => counts.bypass++,
      onError: () => counts.error++,
    },
  });
  const schema = cache.apply(toySchema(world));
  const server = new ApolloServer<Ctx>({ schema, plugins: [cache.apolloPlugin()] });
  const ctx: Ctx = { user: 'u1', allowed: ['Lisbon', 'Oslo', 'Atlantis'] };
  const run = async (query: string, variables: Record<string, unknown> = {}, context: Ctx = ctx) => {
    const response = await server.executeOperation({ query, variables }, { contextValue: context });
    if (response.body.kind !== 'single') throw new Error('incremental delivery not expected');
    const result = response.body.singleResult;
    return {
      data: result.data,
      errors: result.errors,
      reports: (result.extensions?.cache ?? []) as FieldReport[],
    };
  };
  return { world, cache, store, run, counts, advance: (ms: number) => (now += ms), now: () => now, ctx };
}

const WEATHER = 'query($city: String!) { weather(city: $city) { city celsius computedAt } }';
const celsius = (r: { data: Record<string, unknown> | null | undefined }) => (r.data?.weather as { celsius: number }).celsius;

describe('ResolverCache on a toy schema', () => {
  it('misses, then hits with the same data, reporting hit or miss, age and ttl per field', async () => {
    const { run, world, advance } = setup();
    const first = await run(WEATHER, { city: 'Lisbon' });
    expect(first.reports).toEqual([
      { path: 'weather', coordinate: 'Query.weather', typeName: 'Weather', status: 'miss', ageSeconds: 0, ttlSeconds: 5 },
    ]);
    advance(2_000);
    const second = await run(WEATHER, { city: 'Lisbon' });
    expect(second.data).toEqual(first.data);
    expect(second.reports[0]).toMatchObject({ status: 'hit', ageSeconds: 2, ttlSeconds: 5 });
    expect(world.computations).toBe(1);
  });

  it('takes the TTL of a field-level @cached over the type, and a configured override over both', () => {
    const plain = setup();
    expect(Object.fromEntries([...plain.cache.cachedFields].map(([c, f]) => [c, f.ttlSeconds]))).toEqual({
      'Query.weather': 5,
      'Query.forecast': 2,
    });
    const overridden = setup({ policy: { ...POLICY, ttlOverrides: { Weather: 9 } } });
    expect([...overridden.cache.cachedFields.values()].map((f) => f.ttlSeconds)).toEqual([9, 9]);
  });

  it('expires an entry after its TTL', async () => {
    const { run, world, advance } = setup();
    await run(WEATHER, { city: 'Lisbon' });
    advance(5_001);
    expect((await run(WEATHER, { city: 'Lisbon' })).reports[0]?.status).toBe('miss');
    expect(world.computations).toBe(2);
  });

  it('keys by normalized arguments: an explicit default is the same entry as the omitted one', async () => {
    const { run, world } = setup();
    await run('{ weather(city: "Lisbon") { city } }');
    await run('{ weather(city: "Lisbon", unit: "C") { celsius } }');
    expect(world.computations).toBe(1);
  });

  it('invalidates by bumping a fact: the next read misses and sees the new data; other scopes keep their entries', async () => {
    const { run, cache } = setup();
    await run(WEATHER, { city: 'Lisbon' });
    await run(WEATHER, { city: 'Oslo' });
    await run('mutation { report(city: "Lisbon", celsius: 31) { city } }');
    await cache.invalidate('Lisbon', ['readings']);
    const lisbon = await run(WEATHER, { city: 'Lisbon' });
    expect(lisbon.reports[0]?.status).toBe('miss');
    expect(celsius(lisbon)).toBe(31);
    expect((await run(WEATHER, { city: 'Oslo' })).reports[0]?.status).toBe('hit');
  });

  it('never lets a computation that started before an invalidation become visible after it', async () => {
    const { run, cache, world } = setup();
    let open!: () => void;
    world.gate = new Promise((resolve) => (open = resolve));
    const slow = run(WEATHER, { city: 'Lisbon' }); // reads 20 °C, then waits at the gate
    await new Promise((resolve) => setImmediate(resolve));
    world.gate = null;
    world.readings.set('Lisbon', 35);
    await cache.invalidate('Lisbon', ['readings']); // the write returns here
    open();
    expect(celsius(await slow)).toBe(20); // issued before the write: old data is fine
    const after = await run(WEATHER, { city: 'Lisbon' });
    expect(celsius(after)).toBe(35);
    expect(after.reports[0]?.status).toBe('miss');
  });

  it('computes once for N concurrent misses of one key (single flight)', async () => {
    const { run, world, counts } = setup();
    let open!: () => void;
    world.gate = new Promise((resolve) => (open = resolve));
    const all = Array.from({ length: 50 }, () => run(WEATHER, { city: 'Oslo' }));
    await new Promise((resolve) => setImmediate(resolve));
    open();
    const results = await Promise.all(all);
    expect(world.computations).toBe(1);
    expect(new Set(results.map((r) => JSON.stringify(r.data))).size).toBe(1);
    expect(counts.miss).toBe(50);
  });

  it('bypasses and reports it when the policy says so, and caches nothing then', async () => {
    const { run, world, counts } = setup();
    const first = await run(WEATHER, { city: 'Atlantis' });
    await run(WEATHER, { city: 'Atlantis' });
    expect(first.reports).toEqual([
      { path: 'weather', coordinate: 'Query.weather', typeName: 'Weather', status: 'bypass', reason: 'historical' },
    ]);
    expect(world.computations).toBe(2);
    expect(counts.bypass).toBe(2);
  });

  it('runs authorization before the store: a caller without access gets the error, never the entry', async () => {
    const { run } = setup();
    await run(WEATHER, { city: 'Oslo' });
    const denied = await run(WEATHER, { city: 'Oslo' }, { user: 'u2', allowed: [] });
    expect(denied.errors?.[0]?.message).toBe('no access to Oslo');
    expect(denied.data?.weather).toBeNull();
    expect(denied.reports).toEqual([]);
  });

  it('never caches an error', async () => {
    const { run, world } = setup();
    world.failNext = true;
    expect((await run(WEATHER, { city: 'Lisbon' })).errors).toHaveLength(1);
    const retry = await run(WEATHER, { city: 'Lisbon' });
    expect(retry.errors).toBeUndefined();
    expect(retry.reports[0]?.status).toBe('miss');
  });

  it('wraps only fields returning a cached type: mutations and other fields carry no report', async () => {
    const { run, cache } = setup();
    expect([...cache.cachedFields.keys()].sort()).toEqual(['Query.forecast', 'Query.weather']);
    expect((await run('{ ping }')).reports).toEqual([]);
    expect((await run('mutation { report(city: "Oslo", celsius: 1) { city } }')).reports).toEqual([]);
  });

  it('gives Apollo no listener for a document naming no cached field, and reports through aliases and fragments', async () => {
    const { run, cache } = setup();
    const plugin = cache.apolloPlugin();
    const listenerFor = (query: string | undefined) =>
      plugin.requestDidStart!({ request: { query } } as Parameters<NonNullable<typeof plugin.requestDidStart>>[0]);
    expect(await listenerFor('{ ping __typename }')).toBeUndefined();
    expect(await listenerFor('{ w: weather(city: "Oslo") { city } }')).toBeDefined();
    // Without the text (an unresolved persisted query) nothing can be ruled out.
    expect(await listenerFor(undefined)).toBeDefined();
    expect(cache.mayResolveCached('query { ping } # forecast')).toBe(true);
    const viaFragment = await run('query { ...F } fragment F on Query { here: forecast(city: "Lisbon") { city } }');
    expect(viaFragment.reports).toEqual([expect.objectContaining({ path: 'here', coordinate: 'Query.forecast', status: 'miss' })]);
    expect((await run('{ ping }')).reports).toEqual([]);
  });

  it("gives the operation cache's plugin a listener only for a request it expects to fill", async () => {
    const { cache, store } = setup();
    const operations = new OperationCache<Ctx>(cache.apply(buildSchema(SDL)), cache, store);
    const plugin = operations.apolloPlugin();
    const listenerFor = (contextValue: Ctx) =>
      plugin.requestDidStart!({ contextValue } as Parameters<NonNullable<typeof plugin.requestDidStart>>[0]);
    const context: Ctx = { user: 'u1', allowed: ['Oslo'] };
    expect(await listenerFor(context)).toBeUndefined();
    // Not an operation the cache answers: proceed at once, synchronously, and nothing to fill.
    expect(operations.serve({ query: '{ ping }' }, context)).toEqual({ kind: 'proceed' });
    expect(context.cacheState).toBeUndefined();
    expect(await listenerFor(context)).toBeUndefined();
    // A miss proceeds too, with the request's cache state holding what to fill.
    expect(await operations.serve({ query: WEATHER, variables: { city: 'Oslo' } }, context)).toEqual({ kind: 'proceed' });
    expect(context.cacheState?.pendingFill?.ticket.tag).toBe('Oslo');
    expect(await listenerFor(context)).toBeDefined();
  });

  it('serves a whole operation: a miss proceeds holding its fill in the request state, the next request is a hit that creates no state', async () => {
    const world: World = { readings: new Map(), computations: 0, gate: null, failNext: false };
    const { cache, store, now } = setup();
    const schema = cache.apply(toySchema(world));
    const operations = new OperationCache<Ctx>(schema, cache, store, { now });
    const server = new ApolloServer<Ctx>({ schema, plugins: [cache.apolloPlugin(), operations.apolloPlugin()] });
    const request = { query: WEATHER, variables: { city: 'Oslo' } };
    const first: Ctx = { user: 'u1', allowed: ['Oslo'] };
    expect(await operations.serve(request, first)).toEqual({ kind: 'proceed' });
    const response = await server.executeOperation(request, { contextValue: first });
    if (response.body.kind !== 'single') throw new Error('incremental delivery not expected');
    // Apollo ran on a copy of the context: the plugin's note reached the state `fill` reads.
    expect(first.cacheState?.pendingFill?.result?.data).toEqual(response.body.singleResult.data);
    operations.fill(first, JSON.stringify(response.body.singleResult));
    await Promise.resolve();
    const second: Ctx = { user: 'u1', allowed: ['Oslo'] };
    const served = await operations.serve(request, second);
    if (served.kind !== 'hit') throw new Error(`expected a hit, got ${served.kind}`);
    expect(JSON.parse(Buffer.concat(served.chunks).toString('utf8'))).toEqual({
      data: response.body.singleResult.data,
      extensions: { cache: [expect.objectContaining({ path: 'weather', status: 'hit' })] },
    });
    expect(second.cacheState).toBeUndefined();
    expect(world.computations).toBe(1);
    // The policy runs first: a caller without access proceeds to execution, which answers the error.
    expect(await operations.serve(request, { user: 'u2', allowed: [] })).toEqual({ kind: 'proceed' });
  });

  it('serves whole operations from a store with only the required port: lookupBytes is a capability, not a requirement', async () => {
    const memory = new MemoryStore();
    const portOnly: CacheStore = { lookup: (r) => memory.lookup(r), put: (r) => memory.put(r), raise: (r) => memory.raise(r), close: () => memory.close() };
    const world: World = { readings: new Map(), computations: 0, gate: null, failNext: false };
    const { cache, now } = setup({ store: portOnly });
    const schema = cache.apply(toySchema(world));
    const operations = new OperationCache<Ctx>(schema, cache, portOnly, { now });
    const server = new ApolloServer<Ctx>({ schema, plugins: [cache.apolloPlugin(), operations.apolloPlugin()] });
    const request = { query: WEATHER, variables: { city: 'Lisbon' } };
    const first: Ctx = { user: 'u1', allowed: ['Lisbon'] };
    expect(await operations.serve(request, first)).toEqual({ kind: 'proceed' });
    const response = await server.executeOperation(request, { contextValue: first });
    if (response.body.kind !== 'single') throw new Error('incremental delivery not expected');
    operations.fill(first, JSON.stringify(response.body.singleResult));
    await Promise.resolve();
    const served = await operations.serve(request, { user: 'u1', allowed: ['Lisbon'] });
    if (served.kind !== 'hit') throw new Error(`expected a hit, got ${served.kind}`);
    expect(JSON.parse(Buffer.concat(served.chunks).toString('utf8')).data).toEqual(response.body.singleResult.data);
    expect(world.computations).toBe(1);
  });

  it('remembers operation plans by text up to maxPlans, the least recently used going first', () => {
    const { cache } = setup();
    const operations = new OperationCache<Ctx>(cache.apply(buildSchema(SDL)), cache, new MemoryStore(), { maxPlans: 2 });
    const planOf = (query: string) => (operations.prepare({ query }) as unknown as { plan: object } | null)?.plan;
    const [a, b, c] = ['Lisbon', 'Oslo', 'Porto'].map((city) => `{ weather(city: "${city}") { celsius } }`) as [string, string, string];
    const planA = planOf(a);
    const planB = planOf(b);
    expect(planA).toBeDefined();
    expect(planOf(a)).toBe(planA); // remembered; a is now more recent than b
    planOf(c); // b goes
    expect(planOf(a)).toBe(planA);
    expect(planOf(b)).not.toBe(planB);
  });

  it("stores a response once for the concurrent misses of its key, then again once FILL_MEMORY_MS of the cache's clock has passed", async () => {
    let puts = 0;
    const memory = new MemoryStore();
    // Puts are counted and dropped, so every lookup is a miss that fills.
    const dropping: CacheStore = { ...bind(memory), put: () => {
      puts += 1;
      return Promise.resolve({ kind: 'written' as const });
    } };
    const { cache, advance, now } = setup({ store: dropping });
    const schema = cache.apply(buildSchema(SDL));
    const operations = new OperationCache<Ctx>(schema, cache, dropping, { now });
    const server = new ApolloServer<Ctx>({ schema, plugins: [cache.apolloPlugin(), operations.apolloPlugin()] });
    const request = { query: WEATHER, variables: { city: 'Oslo' } };
    const miss = async () => {
      const context: Ctx = { user: 'u1', allowed: ['Oslo'] };
      const served = await operations.serve(request, context);
      if (served.kind !== 'proceed' || !context.cacheState?.pendingFill) throw new Error(`expected a miss, got ${served.kind}`);
      return async () => {
        const response = await server.executeOperation(request, { contextValue: context });
        if (response.body.kind !== 'single') throw new Error('incremental delivery not expected');
        operations.fill(context, JSON.stringify(response.body.singleResult));
      };
    };
    const fills = await Promise.all([miss(), miss()]);
    for (const fill of fills) await fill();
    expect(puts).toBe(1);
    advance(1_000);
    await (await miss())();
    expect(puts).toBe(1);
    advance(1);
    await (await miss())();
    expect(puts).toBe(2);
  });

  it('answers from the resolver when the store fails, counting the error', async () => {
    const failing: CacheStore = {
      lookup: () => Promise.reject(new Error('store down')),
      lookupBytes: () => Promise.reject(new Error('store down')),
      put: () => Promise.reject(new Error('store down')),
      raise: () => Promise.reject(new Error('store down')),
      ttlMs: () => Promise.resolve(null),
      close: () => Promise.resolve(),
    };
    const { run, counts } = setup({ store: failing });
    const result = await run(WEATHER, { city: 'Lisbon' });
    expect(result.errors).toBeUndefined();
    expect(result.reports[0]?.status).toBe('miss');
    expect(counts.error).toBe(1);
  });

  it('refuses a policy that misses a cached coordinate or names one that does not exist, naming it', () => {
    expect(() => setup({ policy: { ...POLICY, fields: { 'Query.weather': byCity } } })).toThrow(
      /Query\.forecast returns @cached Weather but the cache policy has no entry for it/,
    );
    expect(() => setup({ policy: { ...POLICY, fields: { ...POLICY.fields, 'Query.ping': byCity } } })).toThrow(CachePolicyError);
    expect(() =>
      setup({ policy: { ...POLICY, types: { Weather: { dependsOn: ['readings'] }, Climate: { dependsOn: [] } } } }),
    ).toThrow(/type Climate, which the schema does not have/);
  });
});

/** The store's methods bound to it, to build a store that changes one of them. */
function bind(store: CacheStore): CacheStore {
  return {
    lookup: (r) => store.lookup(r),
    lookupBytes: store.lookupBytes && ((r) => store.lookupBytes!(r)),
    put: (r) => store.put(r),
    raise: (r) => store.raise(r),
    ttlMs: store.ttlMs && ((r) => store.ttlMs!(r)),
    close: () => store.close(),
  };
}
