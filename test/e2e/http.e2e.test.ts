import { print } from 'graphql';
import { PortfoliosDocument } from '../../client/generated/graphql';
import { fixedClock } from '../support/clock';
import { testDb } from '../support/db';
import { DEMO_NOW } from '../support/demo';
import { actor, countRows } from '../support/factories';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { seedFund, type SeededFund } from './harness';

/** The HTTP surface around GraphQL: landing page, health, readiness, unknown paths, bad bodies. */

const db = testDb();
let gateway: TestGateway;
let fund: SeededFund;
let base: URL;

beforeAll(async () => {
  fund = await seedFund(db);
  gateway = await startTestGateway(db, fixedClock(DEMO_NOW));
  base = new URL(gateway.url);
}, 30_000);

afterAll(async () => {
  await gateway.stop();
  await db.destroy();
});

const at = (path: string) => new URL(path, base);

function post(body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

interface ErrorBody {
  readonly errors?: readonly { readonly message: string; readonly extensions?: { readonly code?: string; readonly field?: string } }[];
}

it('serves the Apollo Sandbox landing page on GET /graphql to a browser', async () => {
  const response = await fetch(gateway.url, { headers: { accept: 'text/html' } });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/html/);
  const html = await response.text();
  expect(html).toMatch(/<!DOCTYPE html>/i);
  expect(html).toMatch(/embeddable-sandbox/);
});

it('answers /healthz with 200 while the process is up', async () => {
  const response = await fetch(at('/healthz'));
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ status: 'ok' });
});

it('answers /readyz with 200 when the database answers', async () => {
  const response = await fetch(at('/readyz'));
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ status: 'ready' });
});

it('answers an unknown path with 404 and the paths it serves', async () => {
  const response = await fetch(at(`/nope-${Date.now()}`));
  expect(response.status).toBe(404);
  expect(await response.json()).toMatchObject({ paths: ['/graphql', '/healthz', '/readyz', '/metrics'] });
});

it('redirects / to /graphql', async () => {
  const response = await fetch(at('/'), { redirect: 'manual' });
  expect(response.status).toBe(302);
  expect(response.headers.get('location')).toBe('/graphql');
});

it('refuses a POST whose body is not valid JSON with 400 BAD_REQUEST', async () => {
  const response = await post('{"query": "{ portfolios { code } }"');
  expect(response.status).toBe(400);
  const body = (await response.json()) as ErrorBody;
  expect(body.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_REQUEST']);
});

it('refuses a body over the size limit with 413', async () => {
  const response = await post(JSON.stringify({ query: print(PortfoliosDocument), padding: 'x'.repeat(1_100_000) }));
  expect(response.status).toBe(413);
});

it('refuses a GET query without a preflight header as a possible CSRF, with 400', async () => {
  const query = encodeURIComponent(print(PortfoliosDocument));
  const response = await fetch(`${gateway.url}?query=${query}`, {
    headers: { authorization: `Bearer ${gateway.token(actor('ADMIN'))}` },
  });
  expect(response.status).toBe(400);
});

it('sends a request id back, the caller\'s when given', async () => {
  const response = await post(JSON.stringify({ query: print(PortfoliosDocument) }), { 'x-request-id': 'e2e-request-1' });
  expect(response.headers.get('x-request-id')).toBe('e2e-request-1');
});

// A literal in the document is checked by GraphQL validation (ValuesOfCorrectTypeRule) before
// anything runs; it answers as the same value sent as a variable does (writes.e2e): BAD_USER_INPUT
// with the scalar's message and the field (test/security/inputs.test.ts has every class).
it('refuses a malformed Decimal literal in validation as BAD_USER_INPUT naming the field, writing nothing', async () => {
  const before = await countRows(db, 'positions', { portfolio_id: fund.id });
  const mutation = `mutation { openPosition(input: { portfolioId: "${fund.code}", ticker: "ES", direction: LONG,
    notionalBrl: "1,5", entryPrice: "5000", entryFxRate: "5", thesis: "Literal decimal check" }) { id } }`;
  const response = await post(JSON.stringify({ query: mutation }), { authorization: `Bearer ${gateway.token(actor('ADMIN'))}` });
  const body = (await response.json()) as ErrorBody;
  expect(await countRows(db, 'positions', { portfolio_id: fund.id })).toBe(before);
  expect(response.status).toBe(400);
  expect(body.errors?.map((e) => [e.extensions?.code, e.extensions?.field])).toEqual([['BAD_USER_INPUT', 'notionalBrl']]);
  expect(body.errors?.[0]?.message).toContain('Decimal must be a decimal string');
});

it('exposes Prometheus metrics: SQL statements and cache counters per type', async () => {
  const response = await fetch(at('/metrics'));
  expect(response.status).toBe(200);
  const text = await response.text();
  expect(text).toMatch(/^pms_sql_statements_total \d+$/m);
  expect(text).toContain('# TYPE pms_cache_hits_total counter');
  expect(text).toMatch(/^process_resident_memory_bytes \d+$/m);
});
