import { print } from 'graphql';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { BookDocument } from '../../client/generated/graphql';
import { launchChromium, startPageServer, type PageServer } from '../support/browser';
import { fixedClock } from '../support/clock';
import { testDb } from '../support/db';
import { DEMO_NOW } from '../support/demo';
import { actor, uid } from '../support/factories';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { dataOf, seedFund, type SeededFund } from './harness';

/**
 * A frontend in a real browser (headless Chromium): a page served from another loopback origin
 * fetches the book with a bearer token and writes a figure into its DOM, which the test reads.
 * The negative is proven too: a page on an origin the gateway does not allow fails, and Chromium
 * says it was CORS. Same-origin pages (Apollo Sandbox) are unaffected.
 */

jest.setTimeout(60_000);

const db = testDb();
const clock = fixedClock(DEMO_NOW);
let fund: SeededFund;
let browser: Browser;
/** The frontend's origin. */
let app: PageServer;
/** Another loopback origin, not in the listed gateway's CORS_ORIGINS. */
let foreign: PageServer;
/** NODE_ENV=test, CORS_ORIGINS unset: every loopback origin may call it. */
let local: TestGateway;
/** NODE_ENV=production with Sandbox, CORS_ORIGINS = the app's origin only. */
let listed: TestGateway;

beforeAll(async () => {
  // First, before anything that would need closing: a missing Chromium fails the suite at once.
  browser = await launchChromium();
  [fund, app, foreign] = await Promise.all([seedFund(db, 'BRW'), startPageServer(), startPageServer()]);
  [local, listed] = await Promise.all([
    startTestGateway(db, clock),
    startTestGateway(db, clock, { env: { NODE_ENV: 'production', SANDBOX: 'true', SEED_DEMO: 'false', CORS_ORIGINS: app.origin } }),
  ]);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all([local?.stop(), listed?.stop(), app?.close(), foreign?.close()]);
  await db.destroy();
});

let context: BrowserContext;
let console_: string[];

beforeEach(async () => {
  context = await browser.newContext();
  console_ = [];
});

afterEach(async () => {
  await context.close();
});

async function open(url: string): Promise<Page> {
  const page = await context.newPage();
  page.on('console', (message) => console_.push(message.text()));
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  return page;
}

interface Shown {
  readonly state: string | null;
  readonly status: string | null;
  readonly requestId: string | null;
  readonly text: string | null;
}

/** What the page wrote once its request settled. */
async function shown(page: Page): Promise<Shown> {
  const figure = page.locator('#figure:not([data-state="pending"])');
  await figure.waitFor({ timeout: 30_000 });
  return {
    state: await figure.getAttribute('data-state'),
    status: await figure.getAttribute('data-status'),
    requestId: await figure.getAttribute('data-request-id'),
    text: await figure.textContent(),
  };
}

/**
 * A frontend's page: on load it POSTs the Book operation to the gateway (a bearer token when
 * given, a request id) and writes the book's unrealized P&L, or the error codes, into #figure.
 */
function bookPage(request: { gateway: string; token: string | null; requestId: string }): string {
  const parameters = JSON.stringify({ ...request, portfolioId: fund.code, query: print(BookDocument) }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Book</title></head>
<body>
<p>Unrealized P&amp;L (BRL): <output id="figure" data-state="pending"></output></p>
<script type="application/json" id="request">${parameters}</script>
<script>
(async () => {
  const figure = document.getElementById('figure');
  const { gateway, token, requestId, portfolioId, query } = JSON.parse(document.getElementById('request').textContent);
  const headers = { 'content-type': 'application/json', 'x-request-id': requestId };
  if (token) headers.authorization = 'Bearer ' + token;
  try {
    const response = await fetch(gateway, { method: 'POST', headers, body: JSON.stringify({ query, variables: { portfolioId } }) });
    const body = await response.json();
    figure.dataset.status = String(response.status);
    figure.dataset.requestId = response.headers.get('x-request-id') ?? '';
    figure.textContent = body.data ? body.data.book.summary.unrealizedPnlBrl : body.errors.map((e) => e.extensions.code).join(',');
    figure.dataset.state = 'done';
  } catch (error) {
    figure.textContent = String(error);
    figure.dataset.state = 'failed';
  }
})();
</script>
</body></html>`;
}

async function metric(gw: TestGateway, name: string): Promise<number> {
  const text = await (await fetch(gw.url.replace('/graphql', '/metrics'))).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1] ?? NaN);
}

const viewerToken = (gw: TestGateway) => gw.token(actor('VIEWER', [fund.code], `browser.${uid()}`));

it("shows, on a page of another loopback origin, the book's unrealized P&L the gateway answers (through the hit path)", async () => {
  expect(new URL(local.url).origin).not.toBe(app.origin);
  const token = viewerToken(local);
  const expected = dataOf(await local.execute(BookDocument, { portfolioId: fund.code }, token)).book.summary.unrealizedPnlBrl;
  const hitsBefore = await metric(local, 'pms_operation_cache_hits_total');
  const requestId = `browser-${uid()}`;
  const page = await open(app.serve(`/book-${uid()}`, bookPage({ gateway: local.url, token, requestId })));
  expect(await shown(page)).toEqual({ state: 'done', status: '200', requestId, text: expected });
  expect(expected).toMatch(/^-?\d+(\.\d+)?$/);
  // The page's request was the operation cache's hit (the test's own read filled it).
  expect(await metric(local, 'pms_operation_cache_hits_total')).toBe(hitsBefore + 1);
});

it("lets the page read the gateway's 401 and its code when it has no token", async () => {
  const requestId = `browser-${uid()}`;
  const page = await open(app.serve(`/anonymous-${uid()}`, bookPage({ gateway: local.url, token: null, requestId })));
  expect(await shown(page)).toEqual({ state: 'done', status: '401', requestId, text: 'UNAUTHENTICATED' });
});

it('with CORS_ORIGINS, serves the listed origin and fails a page on another: Chromium reports the refused preflight', async () => {
  const token = viewerToken(listed);
  const expected = dataOf(await listed.execute(BookDocument, { portfolioId: fund.code }, token)).book.summary.unrealizedPnlBrl;

  const allowed = await open(app.serve(`/listed-${uid()}`, bookPage({ gateway: listed.url, token, requestId: `browser-${uid()}` })));
  expect(await shown(allowed)).toMatchObject({ state: 'done', status: '200', text: expected });

  const refused = await open(foreign.serve(`/foreign-${uid()}`, bookPage({ gateway: listed.url, token, requestId: `browser-${uid()}` })));
  expect(await shown(refused)).toEqual({ state: 'failed', status: null, requestId: null, text: 'TypeError: Failed to fetch' });
  // The failure is CORS, at the preflight, for this origin: not a gateway that was down.
  const blocked = console_.filter((text) => text.includes('blocked by CORS policy'));
  expect(blocked).toHaveLength(1);
  expect(blocked[0]).toContain(`from origin '${foreign.origin}'`);
  expect(blocked[0]).toContain('preflight');
});

it("leaves Apollo Sandbox on the gateway's own origin working: its introspection needs no CORS header", async () => {
  const page = await open(listed.url);
  expect(await page.content()).toMatch(/embeddable-sandbox/);
  const answer = await page.evaluate(async () => {
    const response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __schema { queryType { name } } }' }),
    });
    return { status: response.status, allowOrigin: response.headers.get('access-control-allow-origin'), body: (await response.json()) };
  });
  expect(answer).toEqual({ status: 200, allowOrigin: null, body: { data: { __schema: { queryType: { name: 'Query' } } } } });
  expect(console_.filter((text) => text.includes('CORS'))).toEqual([]);
});
