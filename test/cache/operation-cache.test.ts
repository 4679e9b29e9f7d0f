import { print } from 'graphql';
import { Redis } from 'ioredis';
import { BookDocument, MarkToMarketDocument, RiskLiveDocument } from '../../client/generated/graphql';
import type { FieldReport } from '../../src/resolver-cache/outcome';
import { MAX_REMEMBERED_QUERY_CHARS } from '../../src/resolver-cache/resolver-cache';
import type { CacheStore } from '../../src/resolver-cache/store/cache-store';
import { MemoryStore } from '../../src/resolver-cache/store/memory-store';
import { RedisStore } from '../../src/resolver-cache/store/redis-store';
import { ResilientStore } from '../../src/resolver-cache/store/resilient-store';
import { dataOf, seedFund, type SeededFund } from '../e2e/harness';
import { fixedClock } from '../support/clock';
import { testDb } from '../support/db';
import { fieldLevel } from '../support/documents';
import { DEMO_NOW } from '../support/demo';
import { actor } from '../support/factories';
import { codes, startTestGateway, type GraphQLResponse, type TestGateway } from '../support/gateway';

/**
 * The operation cache: fully cached operations answered with stored bytes, no execution. Runs on
 * the in-process store and on Redis (whose lookupBytes hands the stored bytes over undecoded).
 */
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/12';
const db = testDb();
const clock = fixedClock(DEMO_NOW);
let gw: TestGateway;
let fund: SeededFund;
let token: string;

afterAll(async () => {
  await db.destroy();
});

async function metric(name: string): Promise<number> {
  const text = await (await fetch(gw.url.replace('/graphql', '/metrics'))).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1] ?? NaN);
}

const reports = (r: GraphQLResponse<unknown>) => (r.extensions?.cache ?? []) as FieldReport[];

const stores: [string, string, () => CacheStore | undefined][] = [
  ['the in-process store', 'OPC', () => undefined],
  // A generous timeout: 500 concurrent lookups on a loaded machine must not time out into misses.
  ['Redis', 'OPR', () => new ResilientStore(new RedisStore(new Redis(REDIS_URL), { localCopyMaxBytes: 8_000_000, now: clock.epochMs }), { timeoutMs: 1_000 })],
];

describe.each(stores)('the operation cache on %s', (_name, code, makeStore) => {
  beforeAll(async () => {
    const cacheStore = makeStore();
    gw = await startTestGateway(db, clock, cacheStore ? { cacheStore } : {});
    fund = await seedFund(db, code);
    token = gw.token(actor('ADMIN'));
  });
  afterAll(async () => {
    await gw.stop();
  });

  it('answers a repeated book query from stored bytes: same data, no SQL, a hit per root field', async () => {
    const first = await gw.execute(BookDocument, { portfolioId: fund.code }, token);
    const hitsBefore = await metric('pms_operation_cache_hits_total');
    const sqlBefore = await metric('pms_sql_statements_total');
    const second = await gw.execute(BookDocument, { portfolioId: fund.code }, token);
    expect(await metric('pms_operation_cache_hits_total')).toBe(hitsBefore + 1);
    // Authorization looks the portfolio up (memoized in process): no statement at all on a hit.
    expect(await metric('pms_sql_statements_total')).toBe(sqlBefore);
    expect(dataOf(second)).toEqual(dataOf(first));
    expect(reports(second)).toEqual([
      { path: 'book', coordinate: 'Query.book', typeName: 'Book', status: 'hit', ageSeconds: 0, ttlSeconds: 30 },
    ]);
  });

  it('plans no document longer than it remembers: such a book is answered by execution, cached at field level', async () => {
    const padded = `${print(BookDocument)}\n# ${'x'.repeat(MAX_REMEMBERED_QUERY_CHARS)}`;
    const send = async () => {
      const response = await fetch(gw.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: padded, variables: { portfolioId: fund.code } }),
      });
      return (await response.json()) as GraphQLResponse<unknown>;
    };
    await send();
    const hitsBefore = await metric('pms_operation_cache_hits_total');
    const again = await send();
    expect(await metric('pms_operation_cache_hits_total')).toBe(hitsBefore);
    expect(again.errors).toBeUndefined();
    expect(reports(again)).toEqual([expect.objectContaining({ path: 'book', status: 'hit' })]);
  });

  it('answers a hit with the bytes of the miss before it, but for the status of the report', async () => {
    const own = await seedFund(db, `${code}BYTES`);
    const post = () =>
      fetch(gw.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: print(BookDocument), variables: { portfolioId: own.code } }),
      }).then((r) => r.text());
    // The age is that of the entry: 0 unless a second passed in between.
    const ageless = (text: string) => text.replace(/"ageSeconds":\d+/, '"ageSeconds":_');
    const miss = ageless(await post());
    const hit = ageless(await post());
    expect(miss).toContain('"status":"miss"');
    expect(hit).toBe(miss.replace('"status":"miss"', '"status":"hit"'));
  });

  it("reports each hit's age: hits within one second share it, a later one is older", async () => {
    const own = await seedFund(db, `${code}AGE`);
    await gw.execute(BookDocument, { portfolioId: own.code }, token);
    const together = await Promise.all([1, 2].map(() => gw.execute(BookDocument, { portfolioId: own.code }, token)));
    // The gateway's clock is the cache's: a second and a bit pass without waiting for them.
    clock.advance(1_100);
    const later = await gw.execute(BookDocument, { portfolioId: own.code }, token);
    const ages = [...together, later].map((r) => [reports(r)[0]?.status, reports(r)[0]?.ageSeconds]);
    expect(ages[0]).toEqual(ages[1]);
    expect(ages[0]![1]).toBe(0);
    expect(ages[2]).toEqual(['hit', 1]);
  });

  it('caches an operation with two root fields of one portfolio under the shorter TTL, aliases kept', async () => {
    const query = `query Two($p: ID!) { b: book(portfolioId: $p) { summary { grossExposureBrl } } riskLive(portfolioId: $p) { overallStatus } }`;
    const post = () =>
      fetch(gw.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables: { p: fund.code } }) }).then(
        (r) => r.json() as Promise<{ data: unknown; extensions: { cache: FieldReport[] } }>,
      );
    const first = await post();
    const second = await post();
    expect(second.data).toEqual(first.data);
    expect(second.extensions.cache.map((r) => [r.path, r.status, r.ttlSeconds])).toEqual([
      ['b', 'hit', 30],
      ['riskLive', 'hit', 60],
    ]);
  });

  it('keys by the identities of the root fields: the same portfolio by code and by id is one entry', async () => {
    const own = await seedFund(db, `${code}CANON`);
    const before = gw.gateway.cacheCounters.byType.get('Book')?.computations ?? 0;
    const byCode = await gw.execute(BookDocument, { portfolioId: own.code }, token);
    const byId = await gw.execute(BookDocument, { portfolioId: own.id }, token);
    expect([reports(byCode)[0]?.status, reports(byId)[0]?.status]).toEqual(['miss', 'hit']);
    expect(dataOf(byId)).toEqual(dataOf(byCode));
    expect((gw.gateway.cacheCounters.byType.get('Book')?.computations ?? 0) - before).toBe(1);
  });

  it('keys by the variables used below the root: an @include flag never gets the other answer', async () => {
    const query = `query Flag($p: ID!, $withPositions: Boolean!) { book(portfolioId: $p) { asOf positions @include(if: $withPositions) { id } } }`;
    const post = (withPositions: boolean) =>
      fetch(gw.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables: { p: fund.code, withPositions } }) }).then(
        (r) => r.json() as Promise<{ data: { book: { positions?: unknown[] } }; extensions: { cache: FieldReport[] } }>,
      );
    const withPositions = await post(true);
    const without = await post(false);
    const withAgain = await post(true);
    expect(withPositions.data.book.positions?.length).toBeGreaterThan(0);
    expect(without.data.book).not.toHaveProperty('positions');
    expect(withAgain.data).toEqual(withPositions.data);
    expect(withAgain.extensions.cache[0]?.status).toBe('hit');
  });

  it('plans each operation of a document by its name: each is its own entry, an undefined name is refused', async () => {
    const query = `query Gross($p: ID!) { book(portfolioId: $p) { summary { grossExposureBrl } } }
      query Status($p: ID!) { riskLive(portfolioId: $p) { overallStatus } }`;
    const post = (operationName: string) =>
      fetch(gw.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, operationName, variables: { p: fund.code } }),
      }).then((r) => r.json() as Promise<GraphQLResponse<Record<string, unknown>>>);
    await post('Gross');
    await post('Status');
    const gross = await post('Gross');
    const status = await post('Status');
    expect(Object.keys(gross.data ?? {})).toEqual(['book']);
    expect(Object.keys(status.data ?? {})).toEqual(['riskLive']);
    expect([reports(gross)[0]?.status, reports(status)[0]?.status]).toEqual(['hit', 'hit']);
    // Names the document does not define: Apollo's own error every time, however many are tried.
    for (let i = 0; i < 20; i++) expect(codes(await post(`Nope${i}`))).toEqual(['OPERATION_RESOLUTION_FAILURE']);
    expect(reports(await post('Gross'))[0]?.status).toBe('hit');
  });

  it('answers an empty operation name as Apollo does, even for a stored single-operation document', async () => {
    const query = 'query Only($p: ID!) { book(portfolioId: $p) { summary { grossExposureBrl } } }';
    const post = (operationName: string | null) =>
      fetch(gw.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, operationName, variables: { p: fund.code } }),
      }).then((r) => r.json() as Promise<GraphQLResponse<Record<string, unknown>>>);
    await post(null);
    expect(reports(await post(null))[0]?.status).toBe('hit');
    // "" names no operation of the document: graphql-js refuses it, so the stored bytes must not answer it.
    expect(codes(await post(''))).toEqual(['OPERATION_RESOLUTION_FAILURE']);
    expect(reports(await post(null))[0]?.status).toBe('hit');
  });

  it("on a miss stores the response once: the root field's own entry is not written besides it", async () => {
    const own = await seedFund(db, `${code}ONCE`);
    const before = gw.gateway.cacheCounters.byType.get('Book')?.computations ?? 0;
    await gw.execute(BookDocument, { portfolioId: own.code }, token);
    // After the single flight's bound (1 s, on the gateway's clock), a document the operation
    // cache passes by computes the book again: no field entry was written for it to hit.
    clock.advance(1_100);
    const other = await gw.execute(fieldLevel(BookDocument), { portfolioId: own.code }, token);
    expect(other.errors).toBeUndefined();
    expect((gw.gateway.cacheCounters.byType.get('Book')?.computations ?? 0) - before).toBe(2);
  });

  it('lets another document that reads the book share the computation of a response stored whole', async () => {
    const own = await seedFund(db, `${code}SHARE`);
    const before = gw.gateway.cacheCounters.byType.get('Book')?.computations ?? 0;
    await gw.execute(BookDocument, { portfolioId: own.code }, token);
    // Its response is stored whole: this document cannot find it, and no field entry was written.
    // Within the single flight's bound it joins the computation instead of running it again.
    const other = await gw.execute(fieldLevel(BookDocument), { portfolioId: own.code }, token);
    expect(other.errors).toBeUndefined();
    expect(reports(other)[0]?.status).toBe('miss');
    expect((gw.gateway.cacheCounters.byType.get('Book')?.computations ?? 0) - before).toBe(1);
  });

  it('never serves the stored bytes to a caller who may not read the portfolio', async () => {
    await gw.execute(BookDocument, { portfolioId: fund.code }, token);
    const stranger = gw.token(actor('VIEWER', ['SOME_OTHER_FUND']));
    const denied = await gw.execute(BookDocument, { portfolioId: fund.code }, stranger);
    expect(codes(denied)).toEqual(['FORBIDDEN']);
    expect(denied.data).toBeNull();
  });

  it('does not store a response with errors', async () => {
    const missing = { portfolioId: fund.code, asOf: '2999-01-01' };
    const a = await gw.execute(RiskLiveDocument, missing, token);
    const b = await gw.execute(RiskLiveDocument, missing, token);
    expect(codes(a)).toEqual(['BAD_USER_INPUT']);
    expect(codes(b)).toEqual(['BAD_USER_INPUT']);
  });

  it('computes a cold book once for 500 concurrent requests (stampede)', async () => {
    const cold = await seedFund(db, `${code}STAMP`);
    const before = gw.gateway.cacheCounters.byType.get('Book')?.computations ?? 0;
    const body = JSON.stringify({ query: print(BookDocument), variables: { portfolioId: cold.code } });
    const responses = await Promise.all(
      Array.from({ length: 500 }, () =>
        fetch(gw.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body }).then((r) => r.status),
      ),
    );
    expect(responses.every((s) => s === 200)).toBe(true);
    expect((gw.gateway.cacheCounters.byType.get('Book')?.computations ?? 0) - before).toBe(1);
  });
});

/** A real store with its calls counted (the store itself is not replaced). */
class CountingStore implements CacheStore {
  lookups = 0;
  byteLookups = 0;
  constructor(private readonly inner: CacheStore) {}
  lookup: CacheStore['lookup'] = (r) => {
    this.lookups += 1;
    return this.inner.lookup(r);
  };
  lookupBytes: CacheStore['lookupBytes'] = (r) => {
    this.byteLookups += 1;
    return this.inner.lookupBytes!(r);
  };
  put: CacheStore['put'] = (r) => this.inner.put(r);
  raise: CacheStore['raise'] = (r) => this.inner.raise(r);
  ttlMs: CacheStore['ttlMs'] = (r) => this.inner.ttlMs!(r);
  close: CacheStore['close'] = () => this.inner.close();
}

const countedStores: [string, string, () => CacheStore][] = [
  ['the in-process store', 'OPM', () => new MemoryStore({ now: clock.epochMs })],
  ['Redis with local copies', 'OPL', () => new ResilientStore(new RedisStore(new Redis(REDIS_URL), { localCopyMaxBytes: 8_000_000, now: clock.epochMs }), { timeoutMs: 1_000 })],
];

describe.each(countedStores)('an operation-cache miss on %s', (_name, code, makeStore) => {
  let counting: CountingStore;
  let own: SeededFund;

  beforeAll(async () => {
    counting = new CountingStore(makeStore());
    gw = await startTestGateway(db, clock, { cacheStore: counting });
    own = await seedFund(db, code);
    token = gw.token(actor('ADMIN'));
  });
  afterAll(async () => {
    await gw.stop();
  });

  const computations = () => gw.gateway.cacheCounters.byType.get('Book')?.computations ?? 0;

  it("reads the root field's own entry in the same round trip: one lookup in all", async () => {
    const [lookups, byteLookups, computed] = [counting.lookups, counting.byteLookups, computations()];
    const miss = await gw.execute(BookDocument, { portfolioId: own.code }, token);
    expect(reports(miss)[0]?.status).toBe('miss');
    expect([counting.byteLookups - byteLookups, counting.lookups - lookups, computations() - computed]).toEqual([1, 0, 1]);
  });

  it('serves the book written through after a write from that round trip, without computing it', async () => {
    const mtm = await gw.execute(MarkToMarketDocument, { input: { portfolioId: own.code, prices: [{ ticker: 'USDBRL', price: '5.41' }], fxRate: '5' } }, token);
    expect(mtm.errors).toBeUndefined();
    const [lookups, byteLookups, computed] = [counting.lookups, counting.byteLookups, computations()];

    const after = await gw.execute(BookDocument, { portfolioId: own.code }, token);

    expect(reports(after)[0]?.status).toBe('hit');
    expect([counting.byteLookups - byteLookups, counting.lookups - lookups, computations() - computed]).toEqual([1, 0, 0]);
    // And the response, stored whole on that miss, is served as such next.
    expect(reports(await gw.execute(BookDocument, { portfolioId: own.code }, token))[0]?.status).toBe('hit');
    expect(counting.lookups - lookups).toBe(0);
  });
});
