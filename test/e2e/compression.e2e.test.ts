import http from 'node:http';
import zlib from 'node:zlib';
import { Redis } from 'ioredis';
import { print } from 'graphql';
import { BookDocument, OpenPositionDocument, PositionsDocument } from '../../client/generated/graphql';
import type { FieldReport } from '../../src/resolver-cache/outcome';
import { RedisStore } from '../../src/resolver-cache/store/redis-store';
import { ResilientStore } from '../../src/resolver-cache/store/resilient-store';
import type { CacheStore } from '../../src/resolver-cache/store/cache-store';
import { fixedClock } from '../support/clock';
import { testDb } from '../support/db';
import { DEMO_NOW } from '../support/demo';
import { actor } from '../support/factories';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { dataOf, seedFund, type SeededFund } from './harness';

/**
 * gzip and brotli over HTTP, read as raw bytes (node:http, which does not decode): negotiation,
 * Content-Length, Vary, exact decoding, on Apollo's path and on the operation cache's hit path,
 * where the compressed form of a stored response is made once and must never outlive the entry.
 */

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/12';
const db = testDb();
const clock = fixedClock(DEMO_NOW);

afterAll(async () => {
  await db.destroy();
});

interface RawAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** The bytes as they came off the wire. */
  readonly wire: Buffer;
  /** Decoded by Content-Encoding. */
  readonly text: string;
}

function post(url: string, body: unknown, headers: Record<string, string>): Promise<RawAnswer> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const wire = Buffer.concat(chunks);
        const coding = res.headers['content-encoding'];
        const text = (coding === 'br' ? zlib.brotliDecompressSync(wire) : coding === 'gzip' ? zlib.gunzipSync(wire) : wire).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, wire, text });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** The age is the one part of a hit that may differ between two requests (a second boundary). */
const sameAge = (text: string): string => text.replace(/"ageSeconds":\d+/g, '"ageSeconds":0');

const reportsOf = (text: string): FieldReport[] => ((JSON.parse(text) as { extensions?: { cache?: FieldReport[] } }).extensions?.cache ?? []);

/** Content-Length matches the bytes sent, and Vary names Accept-Encoding. */
function expectWellFramed(answer: RawAnswer, coding: string): void {
  expect(answer.headers['content-encoding'] ?? 'identity').toBe(coding);
  expect(Number(answer.headers['content-length'])).toBe(answer.wire.length);
  expect(answer.headers.vary ?? '').toMatch(/accept-encoding/i);
}

/** Accept-Encoding sent → coding expected for a body above the threshold. */
const MATRIX: readonly [string | null, string][] = [
  ['br, gzip', 'br'],
  ['gzip, br', 'br'],
  ['gzip, deflate', 'gzip'],
  ['br;q=0.4, gzip;q=0.9', 'gzip'],
  ['br;q=0, gzip', 'gzip'],
  ['gzip;q=0, br;q=0, identity', 'identity'],
  ['identity', 'identity'],
  [null, 'identity'],
];

const stores: [string, () => CacheStore | undefined][] = [
  ['the in-process store', () => undefined],
  // Redis hands over views of its reply buffers, and with local copies the same buffer each time.
  ['Redis with local copies', () => new ResilientStore(new RedisStore(new Redis(REDIS_URL), { localCopyMaxBytes: 8_000_000 }), { timeoutMs: 1_000 })],
];

describe.each(stores)('compression on %s', (_name, makeStore) => {
  let gw: TestGateway;
  let fund: SeededFund;
  let viewer: string;
  let manager: string;
  const bookRequest = () => ({ query: print(BookDocument), variables: { portfolioId: fund.code } });
  const read = (acceptEncoding: string | null) =>
    post(gw.url, bookRequest(), { authorization: `Bearer ${viewer}`, ...(acceptEncoding === null ? {} : { 'accept-encoding': acceptEncoding }) });

  beforeAll(async () => {
    fund = await seedFund(db, 'CMP');
    const cacheStore = makeStore();
    gw = await startTestGateway(db, clock, { ...(cacheStore ? { cacheStore } : {}), env: { COMPRESSION_MIN_BYTES: '1024' } });
    viewer = gw.token(actor('VIEWER', [fund.code]));
    manager = gw.token(actor('MANAGER', [fund.code], 'e2e.compression'));
  }, 30_000);

  afterAll(async () => {
    await gw.stop();
  });

  it.each(MATRIX)('Apollo path (an uncached query): Accept-Encoding %p gets %s, decoding to exactly the body sent as is', async (header, coding) => {
    const positions = { query: print(PositionsDocument), variables: { portfolioId: fund.code, status: 'ALL' } };
    const plain = await post(gw.url, positions, { authorization: `Bearer ${viewer}`, 'accept-encoding': 'identity' });
    expect(plain.wire.length).toBeGreaterThan(1_024);
    expect(reportsOf(plain.text)).toEqual([]);
    const answer = await post(gw.url, positions, { authorization: `Bearer ${viewer}`, ...(header === null ? {} : { 'accept-encoding': header }) });
    expectWellFramed(answer, coding);
    expect(answer.status).toBe(200);
    expect(answer.text).toBe(plain.text);
  });

  it.each(MATRIX)('hit path: Accept-Encoding %p gets %s, decoding to exactly the hit sent as is', async (header, coding) => {
    await read('identity');
    const plain = await read('identity');
    expect(reportsOf(plain.text).map((r) => r.status)).toEqual(['hit']);
    const hitsBefore = gw.gateway.cacheCounters.byType.get('Book')?.hits ?? 0;
    const answer = await read(header);
    expectWellFramed(answer, coding);
    expect(sameAge(answer.text)).toBe(sameAge(plain.text));
    expect(reportsOf(answer.text).map((r) => r.status)).toEqual(['hit']);
    expect(gw.gateway.cacheCounters.byType.get('Book')?.hits).toBe(hitsBefore + 1);
    // The demo book is small (8 positions, ~8 kB): the 200-position book compresses far better (bench).
    if (coding !== 'identity') expect(answer.wire.length * 2).toBeLessThan(plain.wire.length);
  });

  it('compresses a stored response once per coding: later compressed hits send the kept bytes', async () => {
    await read('br, gzip');
    const first = await read('br, gzip');
    expect(reportsOf(first.text)[0]?.status).toBe('hit');
    const counts = { ...gw.gateway.compression.counts };
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => read(i % 2 === 0 ? 'br' : 'gzip')));
    for (const answer of answers) {
      expect(reportsOf(answer.text)[0]?.status).toBe('hit');
      expect(sameAge(answer.text)).toBe(sameAge(first.text));
    }
    // gzip may be the first of its coding for this entry; br was made above.
    expect(gw.gateway.compression.counts.headCompressions - counts.headCompressions).toBeLessThanOrEqual(1);
    expect(gw.gateway.compression.counts.headReuses - counts.headReuses).toBeGreaterThanOrEqual(19);
  });

  it('below the threshold, answers as they are, unless identity is refused', async () => {
    const small = { query: '{ __typename }' };
    const asIs = await post(gw.url, small, { authorization: `Bearer ${viewer}`, 'accept-encoding': 'br, gzip' });
    expectWellFramed(asIs, 'identity');
    expect(JSON.parse(asIs.text)).toEqual({ data: { __typename: 'Query' } });
    const refused = await post(gw.url, small, { authorization: `Bearer ${viewer}`, 'accept-encoding': 'identity;q=0, gzip' });
    expectWellFramed(refused, 'gzip');
    expect(refused.text).toBe(asIs.text);
  });

  it.each(['br', 'gzip'])('%s: after a write, the next compressed reads (miss, then hit) show the new book, never the kept bytes of the old', async (coding) => {
    await read(coding);
    const before = await read(coding);
    expect(reportsOf(before.text)[0]?.status).toBe('hit');
    const positionsBefore = dataOf({ status: 200, data: JSON.parse(before.text).data, errors: undefined, extensions: undefined }).book.positions as { id: string }[];
    const counts = { ...gw.gateway.compression.counts };

    const opened = await gw.execute(OpenPositionDocument, {
      input: { portfolioId: fund.code, ticker: 'IBOV_FUT', direction: 'LONG', notionalBrl: '1000000', entryPrice: '130000', entryFxRate: '5.1', thesis: 'compression test write', strategyIds: ['CROSS_01'] },
    }, manager);
    const id = dataOf(opened).openPosition.id;
    expect(positionsBefore.map((p) => p.id)).not.toContain(id);

    // Miss (Apollo, compressed whole), then hits from the new entry: each shows the new position.
    const after: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const answer = await read(coding);
      expectWellFramed(answer, coding);
      const book = (JSON.parse(answer.text) as { data: { book: { positions: { id: string }[] } } }).data.book;
      expect(book.positions.map((p) => p.id)).toContain(id);
      after.push(reportsOf(answer.text)[0]?.status ?? 'none');
    }
    expect(after.at(-1)).toBe('hit');
    // The kept form of the old entry was passed over (same key, other bytes): the new one was compressed.
    expect(gw.gateway.compression.counts.headCompressions).toBeGreaterThan(counts.headCompressions);
  });

  it('with compression off, answers as they are and without Vary', async () => {
    const off = await startTestGateway(db, clock, { env: { COMPRESSION: 'false' } });
    try {
      const token = off.token(actor('VIEWER', [fund.code]));
      const answer = await post(off.url, bookRequest(), { authorization: `Bearer ${token}`, 'accept-encoding': 'br, gzip' });
      expect(answer.headers['content-encoding']).toBeUndefined();
      expect(answer.headers.vary ?? '').not.toMatch(/accept-encoding/i);
      expect(Number(answer.headers['content-length'])).toBe(answer.wire.length);
    } finally {
      await off.stop();
    }
  });
});
