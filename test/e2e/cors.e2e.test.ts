import http from 'node:http';
import { print } from 'graphql';
import { BookDocument } from '../../client/generated/graphql';
import { CORS_MAX_AGE_SECONDS, CORS_REFUSED_CODE } from '../../src/server/cors';
import { fixedClock } from '../support/clock';
import { testDb } from '../support/db';
import { DEMO_NOW } from '../support/demo';
import { actor, uid } from '../support/factories';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { seedFund, type SeededFund } from './harness';

/**
 * CORS of /graphql over HTTP (src/server/cors.ts): preflights answered before the CSRF check, the
 * gate and Apollo; the headers on every answer a page may read (Apollo's, the operation cache's
 * hit path, the gate's refusals); none for origins the policy does not allow, and nothing changed
 * for requests without an Origin. test/e2e/browser.e2e.test.ts does the same in Chromium.
 */

const db = testDb();
const clock = fixedClock(DEMO_NOW);
let fund: SeededFund;
/** NODE_ENV=test, CORS_ORIGINS unset: loopback pages on any port. */
let local: TestGateway;
/** An explicit list, and a rate limit small enough to reach. */
let listed: TestGateway;
/** NODE_ENV=production, CORS_ORIGINS unset: no cross-origin access; Sandbox on. */
let production: TestGateway;
/** CORS_ORIGINS=*. */
let anyOrigin: TestGateway;

const APP = 'https://app.example.com';
const RATE_LIMIT = 2;

beforeAll(async () => {
  fund = await seedFund(db, 'CORS');
  [local, listed, production, anyOrigin] = await Promise.all([
    startTestGateway(db, clock),
    startTestGateway(db, clock, { env: { CORS_ORIGINS: `${APP},http://localhost:5173`, RATE_LIMIT_POINTS: String(RATE_LIMIT), RATE_LIMIT_DURATION_S: '3600' } }),
    startTestGateway(db, clock, { env: { NODE_ENV: 'production', SANDBOX: 'true', SEED_DEMO: 'false' } }),
    startTestGateway(db, clock, { env: { CORS_ORIGINS: '*' } }),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all([local, listed, production, anyOrigin].map((gw) => gw?.stop()));
  await db.destroy();
});

interface RawResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
}

/**
 * One request with exactly these headers: node:http, because fetch would not send an Origin of
 * our choosing the way a browser does, nor an OPTIONS as a preflight.
 */
function send(url: string, method: string, headers: Record<string, string>, body?: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** What a browser sends before a POST of JSON with a bearer token. */
function preflight(gw: TestGateway, origin: string, requestHeaders = 'authorization,content-type,x-request-id'): Promise<RawResponse> {
  return send(gw.url, 'OPTIONS', { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': requestHeaders });
}

function post(gw: TestGateway, headers: Record<string, string>, body: unknown): Promise<RawResponse> {
  return send(gw.url, 'POST', { 'content-type': 'application/json', ...headers }, typeof body === 'string' ? body : JSON.stringify(body));
}

const bookRequest = () => ({ query: print(BookDocument), variables: { portfolioId: fund.code } });
const bearer = (gw: TestGateway, id = `cors.${uid()}`) => ({ authorization: `Bearer ${gw.token(actor('VIEWER', [fund.code], id))}` });
const codesOf = (r: RawResponse) => (JSON.parse(r.text) as { errors?: { extensions?: { code?: string } }[] }).errors?.map((e) => e.extensions?.code);
const varyOf = (r: RawResponse) => String(r.headers.vary ?? '').split(/,\s*/).map((v) => v.toLowerCase());
const allowHeaders = (r: RawResponse) => Object.keys(r.headers).filter((name) => name.startsWith('access-control-'));

async function metric(gw: TestGateway, name: string): Promise<number> {
  const text = await (await fetch(gw.url.replace('/graphql', '/metrics'))).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1] ?? NaN);
}

/** The allow headers of an allowed preflight, the same for every policy but the origin. */
function expectAllowedPreflight(response: RawResponse, allowOrigin: string): void {
  expect(response.status).toBe(204);
  expect(response.text).toBe('');
  expect(response.headers['access-control-allow-origin']).toBe(allowOrigin);
  expect(response.headers['access-control-allow-methods']).toBe('GET,POST,OPTIONS');
  expect(String(response.headers['access-control-allow-headers']).split(',').sort()).toEqual(
    ['apollo-require-preflight', 'authorization', 'content-type', 'x-apollo-operation-name', 'x-request-id'],
  );
  expect(response.headers['access-control-max-age']).toBe(String(CORS_MAX_AGE_SECONDS));
  expect(response.headers['access-control-expose-headers']).toBe('x-request-id');
  // Bearer tokens, no cookies: credentials are never allowed.
  expect(response.headers['access-control-allow-credentials']).toBeUndefined();
}

function expectRefusedPreflight(response: RawResponse): void {
  expect(response.status).toBe(403);
  expect(allowHeaders(response)).toEqual([]);
  expect(codesOf(response)).toEqual([CORS_REFUSED_CODE]);
}

/** Headers a page on `origin` needs to read an actual answer. */
function expectReadableBy(response: RawResponse, origin: string): void {
  expect(response.headers['access-control-allow-origin']).toBe(origin);
  expect(response.headers['access-control-expose-headers']).toBe('x-request-id');
  expect(response.headers['access-control-allow-credentials']).toBeUndefined();
  expect(varyOf(response)).toContain('origin');
}

describe('by default outside production: pages on loopback origins', () => {
  it.each(['http://localhost:5173', 'http://127.0.0.1:3000', 'http://[::1]:8080'])(
    'answers the preflight of %s with 204 and what a GraphQL client needs, where Apollo answered 400',
    async (origin) => {
      const response = await preflight(local, origin, 'content-type,authorization,apollo-require-preflight,x-apollo-operation-name,x-request-id');
      expectAllowedPreflight(response, origin);
      expect(varyOf(response)).toContain('origin');
    },
  );

  it.each(['https://evil.example', 'http://localhost.evil.example:5173', 'https://localhost:5173', 'null'])(
    'answers the preflight of %s with 403 CORS_ORIGIN_NOT_ALLOWED and no allow header',
    async (origin) => {
      expectRefusedPreflight(await preflight(local, origin));
    },
  );

  it("puts the headers on Apollo's answer: a loopback page reads the book and the request id", async () => {
    const origin = 'http://localhost:5173';
    const response = await post(local, { origin, ...bearer(local), 'x-request-id': 'cors-apollo-1' }, bookRequest());
    expect(response.status).toBe(200);
    expectReadableBy(response, origin);
    expect(response.headers['x-request-id']).toBe('cors-apollo-1');
    expect(JSON.parse(response.text)).toMatchObject({ data: { book: { portfolio: { code: fund.code } } } });
  });

  it("puts them on the operation cache's hit path: stored bytes, same data, a counted hit", async () => {
    const origin = 'http://127.0.0.1:3000';
    const headers = { origin, ...bearer(local) };
    const first = await post(local, headers, bookRequest());
    const hitsBefore = await metric(local, 'pms_operation_cache_hits_total');
    const second = await post(local, headers, bookRequest());
    expect(await metric(local, 'pms_operation_cache_hits_total')).toBe(hitsBefore + 1);
    expect(second.status).toBe(200);
    expectReadableBy(second, origin);
    expect(JSON.parse(second.text).data).toEqual(JSON.parse(first.text).data);
  });

  it("puts them on the gate's refusals, so a page reads why: 401 without a token, 400 over a limit, 413, bad JSON", async () => {
    const origin = 'http://localhost:5173';
    const unauthenticated = await post(local, { origin }, bookRequest());
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(codesOf(unauthenticated)).toEqual(['UNAUTHENTICATED']);
    expectReadableBy(unauthenticated, origin);

    const deep = `{ portfolios { ${'book { portfolio { '.repeat(8)} id ${'} } '.repeat(8)} } }`;
    const tooDeep = await post(local, { origin, ...bearer(local) }, { query: deep });
    expect(tooDeep.status).toBe(400);
    expect(codesOf(tooDeep)).toContain('LIMIT_EXCEEDED');
    expectReadableBy(tooDeep, origin);

    const tooLarge = await post(local, { origin, ...bearer(local) }, { ...bookRequest(), padding: 'x'.repeat(1_100_000) });
    expect(tooLarge.status).toBe(413);
    expect(codesOf(tooLarge)).toEqual(['PAYLOAD_TOO_LARGE']);
    expectReadableBy(tooLarge, origin);

    const badJson = await post(local, { origin, ...bearer(local) }, '{"query": ');
    expect(badJson.status).toBe(400);
    expect(codesOf(badJson)).toEqual(['BAD_REQUEST']);
    expectReadableBy(badJson, origin);
  });

  it('answers a foreign origin without CORS headers (the browser keeps the answer from its page), Vary: Origin kept', async () => {
    const response = await post(local, { origin: 'https://evil.example', ...bearer(local) }, bookRequest());
    expect(response.status).toBe(200);
    expect(allowHeaders(response)).toEqual([]);
    expect(varyOf(response)).toContain('origin');
  });

  it('leaves requests without an Origin as they were: no CORS headers, an OPTIONS still goes to Apollo', async () => {
    const response = await post(local, bearer(local), bookRequest());
    expect(response.status).toBe(200);
    expect(allowHeaders(response)).toEqual([]);
    const options = await send(local.url, 'OPTIONS', {});
    expect(options.status).toBeGreaterThanOrEqual(400);
    expect(allowHeaders(options)).toEqual([]);
  });
});

describe('CORS_ORIGINS with exact origins', () => {
  it('allows exactly the listed origins: the loopback default no longer applies', async () => {
    expectAllowedPreflight(await preflight(listed, APP), APP);
    expectAllowedPreflight(await preflight(listed, 'http://localhost:5173'), 'http://localhost:5173');
    for (const origin of ['http://localhost:5174', `${APP}:8443`, 'http://app.example.com', 'https://evil.app.example.com']) {
      expectRefusedPreflight(await preflight(listed, origin));
    }
  });

  it("puts the headers on the rate limit's 429, with its Retry-After in the body", async () => {
    const headers = { origin: APP, ...bearer(listed, `cors.rate.${uid()}`) };
    const statuses: number[] = [];
    let last: RawResponse | null = null;
    for (let i = 0; i <= RATE_LIMIT; i += 1) {
      last = await post(listed, headers, bookRequest());
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 429]);
    expect(codesOf(last!)).toEqual(['RATE_LIMITED']);
    expect((JSON.parse(last!.text) as { errors: { extensions: { retryAfterSeconds: number } }[] }).errors[0]!.extensions.retryAfterSeconds).toBeGreaterThan(0);
    expectReadableBy(last!, APP);
  });
});

describe('in production without CORS_ORIGINS: no cross-origin access', () => {
  it('refuses the preflight of a loopback page', async () => {
    expectRefusedPreflight(await preflight(production, 'http://localhost:5173'));
  });

  it("lets Apollo Sandbox on the gateway's own origin work: its same-origin introspection needs no CORS header", async () => {
    const ownOrigin = new URL(production.url).origin;
    const landing = await send(production.url, 'GET', { accept: 'text/html' });
    expect(landing.status).toBe(200);
    expect(landing.text).toMatch(/embeddable-sandbox/);
    // A same-origin POST carries the page's Origin; the browser checks no CORS header for it.
    const response = await post(production, { origin: ownOrigin }, { query: '{ __schema { queryType { name } } }' });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text)).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
    expect(allowHeaders(response)).toEqual([]);
  });
});

describe('CORS_ORIGINS=*', () => {
  it('answers any origin with "*" and never with credentials', async () => {
    expectAllowedPreflight(await preflight(anyOrigin, 'https://anywhere.example'), '*');
    const response = await post(anyOrigin, { origin: 'https://anywhere.example', ...bearer(anyOrigin) }, bookRequest());
    expect(response.status).toBe(200);
    expect(response.headers['access-control-allow-origin']).toBe('*');
    expect(response.headers['access-control-expose-headers']).toBe('x-request-id');
    expect(response.headers['access-control-allow-credentials']).toBeUndefined();
  });
});
