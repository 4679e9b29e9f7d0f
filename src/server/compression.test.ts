import type http from 'node:http';
import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import { ResponseCompression, type EncodedBody, type StoredHit } from './compression';

/** The only part of a request compression reads. */
const request = (acceptEncoding?: string): http.IncomingMessage => ({ headers: acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding } }) as http.IncomingMessage;

function decoded(body: EncodedBody): string {
  const bytes = Buffer.concat(body.chunks.map((chunk) => (typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk)));
  expect(bytes.length).toBe(body.byteLength);
  switch (body.coding) {
    case 'br':
      return zlib.brotliDecompressSync(bytes).toString('utf8');
    case 'gzip':
      return zlib.gunzipSync(bytes).toString('utf8');
    case 'identity':
      return bytes.toString('utf8');
  }
}

/** A stored response like the operation cache's: `{"data":…` and an extensions tail. */
function hit(entryKey: string, data: unknown, tail = ',"extensions":{"cache":[{"status":"hit","ageSeconds":3}]}}\n'): StoredHit {
  const head = Buffer.from(JSON.stringify({ data }).slice(0, -1));
  const tailBytes = Buffer.from(tail);
  return { entryKey, head, tail: tailBytes, byteLength: head.length + tailBytes.length };
}

const book = (n: number, mark = '100.5') => ({ book: { positions: Array.from({ length: n }, (_, i) => ({ id: `p${i}`, ticker: `DI1F${i % 9}`, mark })) } });

describe('ResponseCompression.codingFor', () => {
  const compression = new ResponseCompression({ enabled: true, minBytes: 1_024, cachedMaxBytes: 1_000_000 });

  it.each<[string | undefined, string]>([
    [undefined, 'identity'],
    ['', 'identity'],
    ['identity', 'identity'],
    ['gzip', 'gzip'],
    ['br', 'br'],
    ['gzip, br', 'br'],
    ['br, gzip', 'br'],
    ['gzip, deflate, br, zstd', 'br'],
    ['*', 'br'],
    ['br;q=0.5, gzip', 'gzip'],
    ['gzip;q=0.2, br;q=0.8', 'br'],
    ['br;q=0, gzip', 'gzip'],
    ['br;q=0, *', 'gzip'],
    ['br;q=0, gzip;q=0', 'identity'],
    ['deflate', 'identity'],
    ['GZIP', 'gzip'],
  ])('Accept-Encoding %p on a large body: %s', (header, coding) => {
    expect(compression.codingFor(header, 50_000)).toBe(coding);
  });

  it('sends a body below the threshold as it is, unless identity is refused', () => {
    expect(compression.codingFor('br, gzip', 1_023)).toBe('identity');
    expect(compression.codingFor('br, gzip', 1_024)).toBe('br');
    expect(compression.codingFor('identity;q=0, gzip', 10)).toBe('gzip');
    expect(compression.codingFor('*;q=0, br', 10)).toBe('br');
  });

  it('sends a body as it is when nothing offered is acceptable, rather than refusing it', () => {
    expect(compression.codingFor('identity;q=0, deflate', 50_000)).toBe('identity');
  });

  it('compresses nothing when turned off', () => {
    const off = new ResponseCompression({ enabled: false, minBytes: 0, cachedMaxBytes: 0 });
    expect(off.codingFor('br', 50_000)).toBe('identity');
  });
});

describe('ResponseCompression.encodeHit', () => {
  it.each(['br', 'gzip'] as const)('%s: the kept head and the tail decode to exactly head + tail, compressed once for many hits', async (coding) => {
    const compression = new ResponseCompression({ enabled: true, minBytes: 0, cachedMaxBytes: 10_000_000 });
    const stored = hit('tag\nkey', book(200));
    const first = await compression.encodeHit(request(coding), stored);
    expect(first.coding).toBe(coding);
    expect(decoded(first)).toBe(Buffer.concat([stored.head, stored.tail]).toString());
    // Later hits: another age (another tail), the head's bytes in a fresh buffer (as Redis hands them).
    for (let age = 4; age < 14; age += 1) {
      const later = hit('tag\nkey', book(200), `,"extensions":{"cache":[{"status":"hit","ageSeconds":${age}}]}}\n`);
      const body = compression.encodeHit(request(coding), later);
      expect(body).not.toBeInstanceOf(Promise);
      expect(decoded(body as EncodedBody)).toBe(Buffer.concat([later.head, later.tail]).toString());
    }
    expect(compression.counts).toMatchObject({ headCompressions: 1, headReuses: 10 });
    expect(first.byteLength * 5).toBeLessThan(stored.byteLength);
  });

  it.each(['br', 'gzip'] as const)('%s: a tail longer than one uncompressed block (64 KiB) still decodes exactly', async (coding) => {
    const compression = new ResponseCompression({ enabled: true, minBytes: 0, cachedMaxBytes: 10_000_000 });
    const tail = `,"extensions":{"pad":"${randomBytes(100_000).toString('hex')}"}}\n`;
    const stored = hit('k', book(10), tail);
    expect(decoded(await compression.encodeHit(request(coding), stored))).toBe(Buffer.concat([stored.head, stored.tail]).toString());
  });

  it.each(['br', 'gzip'] as const)('%s: never serves the compressed form of other bytes under the same key (a superseded entry)', async (coding) => {
    const compression = new ResponseCompression({ enabled: true, minBytes: 0, cachedMaxBytes: 10_000_000 });
    const before = hit('tag\nkey', book(50, '100.5'));
    expect(decoded(await compression.encodeHit(request(coding), before))).toContain('100.5');
    // The entry after an invalidation: same key, other bytes of the same length.
    const after = hit('tag\nkey', book(50, '101.5'));
    expect(after.head.length).toBe(before.head.length);
    const text = decoded(await compression.encodeHit(request(coding), after));
    expect(text).toBe(Buffer.concat([after.head, after.tail]).toString());
    expect(text).not.toContain('100.5');
    expect(compression.counts).toMatchObject({ headCompressions: 2, headReuses: 0 });
  });

  it('br: the quick form is replaced in the background by the best one, smaller, decoding the same', async () => {
    const compression = new ResponseCompression({ enabled: true, minBytes: 0, cachedMaxBytes: 10_000_000 });
    const stored = hit('k', book(300));
    const quick = await compression.encodeHit(request('br'), stored);
    expect(compression.counts.headRefinements).toBe(1);
    await compression.settled();
    const best = compression.encodeHit(request('br'), stored) as EncodedBody;
    expect(best.chunks[0]!.length).toBeLessThan(quick.chunks[0]!.length);
    expect(decoded(best)).toBe(decoded(quick));
    expect(compression.counts).toMatchObject({ headCompressions: 1, headRefinements: 1, headReuses: 1 });
  });

  it('br: a refinement that ends after the entry changed never puts the old bytes back', async () => {
    const compression = new ResponseCompression({ enabled: true, minBytes: 0, cachedMaxBytes: 10_000_000 });
    await compression.encodeHit(request('br'), hit('k', book(300, '100.5')));
    // The old entry's best-level compression is under way (tens of ms); the new entry arrives.
    expect(compression.counts.headRefinements).toBe(1);
    const newer = hit('k', book(300, '101.5'));
    expect(decoded(await compression.encodeHit(request('br'), newer))).toContain('101.5');
    await compression.settled();
    for (let i = 0; i < 3; i += 1) {
      const text = decoded(await compression.encodeHit(request('br'), newer));
      expect(text).toBe(Buffer.concat([newer.head, newer.tail]).toString());
      await compression.settled();
    }
    expect(compression.counts.headCompressions).toBe(2);
  });

  it('shares one compression among concurrent first reads of the same bytes', async () => {
    const compression = new ResponseCompression({ enabled: true, minBytes: 0, cachedMaxBytes: 10_000_000 });
    const bodies = await Promise.all(Array.from({ length: 8 }, async () => compression.encodeHit(request('br'), hit('k', book(100)))));
    expect(new Set(bodies.map((b) => b.chunks[0]))).toHaveProperty('size', 1);
    expect(compression.counts.headCompressions).toBe(1);
  });

  it('keeps compressed heads within cachedMaxBytes, least recently used out', async () => {
    const compression = new ResponseCompression({ enabled: true, minBytes: 0, cachedMaxBytes: 200_000 });
    for (let i = 0; i < 40; i += 1) await compression.encodeHit(request('gzip'), hit(`k${i}`, book(200, String(i))));
    expect(compression.cachedBytes).toBeGreaterThan(100_000);
    expect(compression.cachedBytes).toBeLessThanOrEqual(200_000);
    // The most recent is kept, the first was dropped and is compressed again.
    const compressions = compression.counts.headCompressions;
    await compression.encodeHit(request('gzip'), hit('k39', book(200, '39')));
    expect(compression.counts.headCompressions).toBe(compressions);
    await compression.encodeHit(request('gzip'), hit('k0', book(200, '0')));
    expect(compression.counts.headCompressions).toBe(compressions + 1);
  });

  it('sends a hit below the threshold, or to a client without compression, as the stored chunks', () => {
    const compression = new ResponseCompression({ enabled: true, minBytes: 1_000_000, cachedMaxBytes: 10_000_000 });
    const stored = hit('k', book(10));
    for (const body of [compression.encodeHit(request('br'), stored), compression.encodeHit(request(), stored)] as EncodedBody[]) {
      expect(body.coding).toBe('identity');
      expect(body.chunks).toEqual([stored.head, stored.tail]);
    }
    expect(compression.counts.headCompressions).toBe(0);
  });
});

describe('ResponseCompression.encodeBody', () => {
  it.each(['br', 'gzip'] as const)('%s: a whole body decodes to exactly itself', async (coding) => {
    const compression = new ResponseCompression({ enabled: true, minBytes: 1_024, cachedMaxBytes: 0 });
    const text = `${JSON.stringify({ data: book(100) })}\n`;
    const body = await compression.encodeBody(request(`${coding}, identity;q=0.5`), text);
    expect(body.coding).toBe(coding);
    expect(decoded(body)).toBe(text);
  });
});


describe('ResponseCompression.encodeBody as it is', () => {
  it('sends a body under minBytes, or one the client wants as is, synchronously and uncopied', () => {
    const compression = new ResponseCompression({ enabled: true, minBytes: 1_024, cachedMaxBytes: 0 });
    const small = '{"data":{"__typename":"Query"}}\n';
    const large = `${JSON.stringify({ data: book(100, 'R$ 100,5') })}\n`;
    for (const [accept, text] of [['br, gzip', small], [undefined, large], ['identity', large]] as const) {
      const body = compression.encodeBody(request(accept), text);
      expect(body).not.toBeInstanceOf(Promise);
      expect(body).toEqual({ coding: 'identity', chunks: [text], byteLength: Buffer.byteLength(text) });
    }
    expect(compression.counts.bodyCompressions).toBe(0);
  });
});
