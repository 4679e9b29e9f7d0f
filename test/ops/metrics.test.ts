import { BookDocument } from '../../client/generated/graphql';
import { MAX_OPERATION_LABELS } from '../../src/server/metrics';
import { dataOf, seedFund, type SeededFund } from '../e2e/harness';
import { fixedClock } from '../support/clock';
import { testDb } from '../support/db';
import { DEMO_NOW } from '../support/demo';
import { actor } from '../support/factories';
import { codes, startTestGateway, type TestGateway } from '../support/gateway';

/**
 * /metrics of a gateway of its own (a fresh registry: every count starts at zero), scraped over
 * HTTP after known requests: the request histogram counts them, errors are counted by code,
 * Node's default metrics are there, and the cache metrics keep their names.
 */
const db = testDb();
const clock = fixedClock(DEMO_NOW);
let gw: TestGateway;
let fund: SeededFund;
let token: string;
// The last test warms every active portfolio of the test database (every suite's funds).
jest.setTimeout(30_000);

beforeAll(async () => {
  fund = await seedFund(db, 'MET');
  gw = await startTestGateway(db, clock);
  token = gw.token(actor('ADMIN'));
});
afterAll(async () => {
  await gw.stop();
  await db.destroy();
});

async function scrape(): Promise<{ contentType: string | null; text: string }> {
  const response = await fetch(gw.url.replace('/graphql', '/metrics'));
  expect(response.status).toBe(200);
  return { contentType: response.headers.get('content-type'), text: await response.text() };
}

/** The value of one sample, e.g. `pms_cache_hits_total{type="Book"}`; undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Every sample of a metric, by its label text. */
function samples(text: string, name: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`).exec(line);
    if (match) found.set(match[1] ?? '', Number(match[2]));
  }
  return found;
}

async function post(body: unknown, withToken = true): Promise<{ status: number; codes: string[] }> {
  const response = await fetch(gw.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(withToken ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
  return { status: response.status, codes: (json.errors ?? []).map((e) => String(e.extensions?.code)) };
}

describe('/metrics', () => {
  it('counts each request in the duration histogram by operation, type and whether the operation cache answered', async () => {
    for (let i = 0; i < 3; i++) dataOf(await gw.execute(BookDocument, { portfolioId: fund.code }, token));
    const { contentType, text } = await scrape();
    // The registry's own content type.
    expect(contentType).toBe(gw.gateway.metrics.registry.contentType);
    const counts = samples(text, 'pms_graphql_request_duration_seconds_count');
    const miss = counts.get('{operation="Book",type="query",cached="false"}') ?? 0;
    const hit = counts.get('{operation="Book",type="query",cached="true"}') ?? 0;
    // The first executes; the next are answered by the operation cache (its counter agrees).
    expect(miss + hit).toBe(3);
    expect(hit).toBe(sample(text, 'pms_operation_cache_hits_total'));
    expect(hit).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'pms_graphql_request_duration_seconds_bucket{le="+Inf",operation="Book",type="query",cached="false"}')).toBe(miss);
  });

  it('counts compression: a compressed hit sent from a kept form, not compressed again', async () => {
    const before = await scrape();
    const send = () => fetch(gw.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'accept-encoding': 'br', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: `query Book { book(portfolioId: "${fund.code}") { positions { id ticker notionalBrl currentPrice unrealizedPnlBrl } summary { grossExposureBrl } } }` }),
    });
    for (let i = 0; i < 3; i++) {
      const response = await send();
      expect(response.headers.get('content-encoding')).toBe('br');
      await response.arrayBuffer();
    }
    const after = await scrape();
    const delta = (name: string) => (sample(after.text, name) ?? 0) - (sample(before.text, name) ?? 0);
    // One stored response compressed once; the later hits reuse it.
    expect(delta('pms_compression_head_compressions_total')).toBe(1);
    expect(delta('pms_compression_head_reuses_total')).toBeGreaterThanOrEqual(1);
    expect(delta('pms_compression_failures_total')).toBe(0);
  });

  it('counts errors by code: the gate’s refusals and Apollo’s answers', async () => {
    const before = samples((await scrape()).text, 'pms_graphql_errors_total');
    const anonymous = await post({ query: '{ book(portfolioId: "X") { portfolioId } }' }, false);
    expect(anonymous).toEqual({ status: 401, codes: ['UNAUTHENTICATED'] });
    // Past the token limit (2,000): refused by the gate before parsing completes.
    const long = await post({ query: `{ ${'__typename '.repeat(2_100)}}` });
    expect(long).toEqual({ status: 400, codes: ['LIMIT_EXCEEDED'] });
    // Refused by Apollo before its request pipeline (no query string): counted as it is formatted.
    const malformed = await post({ query: 42 });
    expect(malformed).toEqual({ status: 400, codes: ['BAD_REQUEST'] });
    const unknown = await gw.execute(BookDocument, { portfolioId: 'NO_SUCH_FUND' }, token);
    const apolloCodes = codes(unknown);
    expect(apolloCodes).toHaveLength(1);
    const after = samples((await scrape()).text, 'pms_graphql_errors_total');
    const delta = (code: string) => (after.get(`{code="${code}"}`) ?? 0) - (before.get(`{code="${code}"}`) ?? 0);
    expect(delta('UNAUTHENTICATED')).toBe(1);
    expect(delta('LIMIT_EXCEEDED')).toBe(1);
    expect(delta('BAD_REQUEST')).toBe(1);
    expect(delta(apolloCodes[0]!)).toBe(1);
    // A refused request has no admitted document: its duration is counted under "none".
    expect(samples((await scrape()).text, 'pms_graphql_request_duration_seconds_count').get('{operation="none",type="none",cached="false"}')).toBeGreaterThanOrEqual(2);
  });

  it('labels at most MAX_OPERATION_LABELS operation names, the rest as "other"', async () => {
    const extra = 5;
    for (let i = 0; i < MAX_OPERATION_LABELS + extra; i++) {
      const result = await post({ query: `query Random${i}x${Math.random().toString(36).slice(2)} { __typename }` });
      expect(result.status).toBe(200);
    }
    const counts = samples((await scrape()).text, 'pms_graphql_request_duration_seconds_count');
    const operations = new Set([...counts.keys()].map((labels) => /operation="([^"]*)"/.exec(labels)?.[1]));
    expect(operations.size).toBeLessThanOrEqual(MAX_OPERATION_LABELS + 2); // + "other" and "none"
    expect(counts.get('{operation="other",type="query",cached="false"}')).toBeGreaterThanOrEqual(extra);
  });

  it('has Node’s default metrics: event-loop lag, GC, heap, resident memory', async () => {
    // A GC to observe: jest runs with --expose-gc only sometimes, so allocate instead.
    let garbage: number[][] = [];
    for (let i = 0; i < 200; i++) garbage.push(new Array<number>(10_000).fill(i));
    garbage = [];
    void garbage;
    const { text } = await scrape();
    for (const name of ['nodejs_eventloop_lag_seconds', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_heap_size_used_bytes', 'nodejs_heap_space_size_used_bytes', 'process_resident_memory_bytes']) {
      expect(text).toMatch(new RegExp(`^# TYPE ${name} `, 'm'));
    }
    expect(text).toMatch(/^# TYPE nodejs_gc_duration_seconds histogram$/m);
    expect(text).toMatch(/^nodejs_gc_duration_seconds_count\{kind="\w+"\} [1-9]/m);
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(10_000_000);
  });

  it('keeps the cache metrics under their names, with a hit ratio per type, and counts warming', async () => {
    const run = await gw.gateway.warmer!.runOnce();
    expect(run.kind).toBe('completed');
    const { text } = await scrape();
    const types = (name: string) => samples(text, name);
    for (const name of ['pms_cache_hits_total', 'pms_cache_misses_total', 'pms_cache_computations_total']) {
      expect(text).toMatch(new RegExp(`^# TYPE ${name} counter$`, 'm'));
      expect(types(name).has('{type="Book"}')).toBe(true);
    }
    for (const name of ['pms_cache_bypasses_total', 'pms_cache_errors_total', 'pms_sql_statements_total', 'pms_operation_cache_hits_total', 'pms_operation_cache_misses_total', 'pms_cache_store_failures_total', 'pms_cache_store_short_circuits_total', 'pms_cache_store_late_timeouts_total']) {
      expect(text).toMatch(new RegExp(`^# TYPE ${name} counter$`, 'm'));
    }
    expect(sample(text, 'pms_cache_store_circuit_open')).toBe(0);
    expect(sample(text, 'pms_invalidation_feed_listening')).toBe(1);
    expect(sample(text, 'pms_sql_statements_total')).toBeGreaterThan(0);
    const book = gw.gateway.cacheCounters.byType.get('Book')!;
    expect(sample(text, 'pms_cache_hits_total{type="Book"}')).toBe(book.hits);
    expect(sample(text, 'pms_cache_hit_ratio{type="Book"}')).toBeCloseTo(book.hits / (book.hits + book.misses), 10);
    // The run by hand: one completed, three fields per active portfolio.
    expect(sample(text, 'pms_cache_warm_runs_total{outcome="completed"}')).toBe(1);
    const fields = ['Book', 'RiskLive', 'Attribution'].map((type) => sample(text, `pms_cache_warm_fields_total{type="${type}"}`));
    expect(fields).toEqual([run.kind === 'completed' ? run.portfolios : -1, run.kind === 'completed' ? run.portfolios : -1, run.kind === 'completed' ? run.portfolios : -1]);
    expect(sample(text, 'pms_cache_warm_last_duration_seconds')).toBeGreaterThan(0);
  });
});
