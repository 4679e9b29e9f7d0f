import type http from 'node:http';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { LRUCache } from 'lru-cache';
import Negotiator from 'negotiator';

/**
 * Response compression of /graphql: gzip or brotli as the request's Accept-Encoding asks, for
 * bodies of at least `minBytes`.
 *
 * Apollo's responses (misses, mutations, errors) are compressed whole, off the event loop (zlib's
 * thread pool), at moderate levels. The operation cache's hits are not compressed per request:
 * the stored `{"data":…` part is compressed once per entry and coding, flushed to a byte boundary
 * and kept (bounded, least recently used out); each hit sends those bytes followed by its small
 * `,"extensions":…}` tail as an uncompressed block of the same stream (a deflate stored block and
 * the gzip trailer, or a brotli uncompressed meta-block and the last empty one). A kept form is
 * served only when the bytes it was made from equal, byte for byte, the entry the store has just
 * returned at the current generations: after an invalidation the new entry's bytes differ and
 * are compressed anew, so a compressed hit is never of a superseded entry.
 */
export interface CompressionSettings {
  /** Off: every response as is, without `Vary: Accept-Encoding`. */
  readonly enabled: boolean;
  /** Bodies shorter than this go as they are (unless the client refuses identity). */
  readonly minBytes: number;
  /** Bound of the compressed forms of stored responses kept in process, in bytes (with the bytes they were made from). */
  readonly cachedMaxBytes: number;
}

export type Coding = 'br' | 'gzip' | 'identity';

export const DEFAULT_COMPRESSION: CompressionSettings = { enabled: true, minBytes: 1_024, cachedMaxBytes: 16 * 1024 * 1024 };

/**
 * Levels, measured on the 39 kB book of the benchmark's 200-position portfolio (its 400 UUIDs
 * alone are ~7 kB of entropy) on the development machine, CPU per body (median of 5 × 100):
 * brotli quality 3 makes 8.7 kB in 0.25 ms, 4 8.6 kB in 0.42 ms, 5 8.4 kB in 0.74 ms, 11 7.2 kB
 * in 44 ms; gzip level 6 8.6 kB in 0.40 ms, 9 8.2 kB in 0.6 ms. A miss costs ~1.9 ms of gateway
 * CPU: Apollo's bodies get brotli 3 or gzip 6, about a sixth more. A stored head, made once for
 * every hit of its entry, gets gzip 9 at once, and brotli 3 at once then 11 in the background
 * (`refine`): no request waits 44 ms, and hits soon send the smallest form.
 */
const BROTLI_QUALITY = 3;
const BROTLI_BEST_QUALITY = 11;
const GZIP_LEVEL = 6;
const GZIP_HEAD_LEVEL = 9;

const brotliCompress = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

const brotliOptions = (size: number, finishFlush: number, quality = BROTLI_QUALITY): zlib.BrotliOptions => ({
  finishFlush,
  params: {
    [zlib.constants.BROTLI_PARAM_QUALITY]: quality,
    [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
    [zlib.constants.BROTLI_PARAM_SIZE_HINT]: size,
  },
});

/** The codings this server produces, best first when the client accepts several equally. */
const OFFERED: readonly Coding[] = ['br', 'gzip', 'identity'];

/** Distinct Accept-Encoding values remembered with their negotiated codings (clients send few). */
const MAX_REMEMBERED_HEADERS = 256;

/** A body to send: chunks in order (a text goes as UTF-8), their total length in bytes, and its coding. */
export interface EncodedBody {
  readonly coding: Coding;
  readonly chunks: readonly (Buffer | string)[];
  readonly byteLength: number;
}

/** A stored response as the operation cache hands a hit over (see `OperationHit`). */
export interface StoredHit {
  /** The entry's key (tag and base key): which operation it answers, not which version. */
  readonly entryKey: string;
  /** The stored `{"data":…` bytes without their closing brace: the same for every hit of the entry. */
  readonly head: Buffer;
  /** `,"extensions":…}` and a newline: differs with the age. */
  readonly tail: Buffer;
  readonly byteLength: number;
}

/** The compressed form of one stored head, and what it was made from. */
interface CompressedHead {
  /** A copy of the head it was made from: served only for a head equal to it. */
  readonly source: Buffer;
  /** The stream up to a flush: a byte boundary where an uncompressed block may follow. */
  readonly bytes: Buffer;
  /** gzip: the CRC-32 of `source`, continued over each tail for the trailer. */
  readonly crc: number;
  /** Made at the best level (brotli 11, gzip 9); else a quick form (brotli 3) that `refine` replaces. */
  readonly best: boolean;
}

export class ResponseCompression {
  /** Negotiated codings by Accept-Encoding value (clients send few distinct ones). */
  private readonly preferences = new LRUCache<string, readonly Coding[]>({ max: MAX_REMEMBERED_HEADERS });
  private readonly heads: LRUCache<string, CompressedHead>;
  /** Compressions under way, by coding and entry key: concurrent first reads share one. */
  private readonly pending = new Map<string, { readonly source: Buffer; readonly done: Promise<CompressedHead> }>();
  /** The one best-level compression under way in the background, if any (bounds its CPU to one pool thread). */
  private refining: Promise<void> | null = null;
  /** Counters for metrics and tests: compressions of stored heads (quick, then best), hits served from a kept one. */
  readonly counts = { headCompressions: 0, headRefinements: 0, headReuses: 0, bodyCompressions: 0, failures: 0 };

  constructor(readonly settings: CompressionSettings) {
    this.heads = new LRUCache<string, CompressedHead>({
      maxSize: Math.max(1, settings.cachedMaxBytes),
      sizeCalculation: (head, key) => head.source.length + head.bytes.length + key.length,
    });
  }

  /** Bytes the kept compressed heads (and their sources) take, within `cachedMaxBytes`. */
  get cachedBytes(): number {
    return this.heads.calculatedSize;
  }

  /**
   * The coding of a response of `byteLength` bytes to a request with this Accept-Encoding: the
   * client's best by q-value (brotli before gzip when equal), identity below `minBytes` if the
   * client accepts it. A request that accepts nothing offered (`identity;q=0` alone) gets the
   * body as it is, as most servers do, rather than a 406 for a GraphQL answer.
   */
  codingFor(acceptEncoding: string | string[] | undefined, byteLength: number): Coding {
    if (!this.settings.enabled) return 'identity';
    const header = Array.isArray(acceptEncoding) ? acceptEncoding.join(', ') : (acceptEncoding ?? '');
    const accepted = this.accepted(header);
    const best = accepted[0] ?? 'identity';
    if (byteLength < this.settings.minBytes && accepted.includes('identity')) return 'identity';
    return best;
  }

  /**
   * Apollo's complete body: compressed whole when negotiated (off the event loop); as it is,
   * synchronously and without a copy, otherwise.
   */
  encodeBody(req: http.IncomingMessage, body: string): EncodedBody | Promise<EncodedBody> {
    const byteLength = Buffer.byteLength(body, 'utf8');
    const coding = this.codingFor(req.headers['accept-encoding'], byteLength);
    if (coding === 'identity') return { coding, chunks: [body], byteLength };
    return this.compressBody(coding, Buffer.from(body, 'utf8'));
  }

  private async compressBody(coding: 'br' | 'gzip', bytes: Buffer): Promise<EncodedBody> {
    this.counts.bodyCompressions += 1;
    try {
      const compressed = coding === 'br'
        ? await brotliCompress(bytes, brotliOptions(bytes.length, zlib.constants.BROTLI_OPERATION_FINISH))
        : await gzip(bytes, { level: GZIP_LEVEL });
      return { coding, chunks: [compressed], byteLength: compressed.length };
    } catch {
      // Compression is an optimization: a body that could not be compressed goes as it is.
      this.counts.failures += 1;
      return { coding: 'identity', chunks: [bytes], byteLength: bytes.length };
    }
  }

  /**
   * A hit of the operation cache: the head compressed once per entry and coding, then the tail
   * appended uncompressed within the same stream. Synchronous (no promise) when the head's
   * compressed form is kept.
   */
  encodeHit(req: http.IncomingMessage, hit: StoredHit): EncodedBody | Promise<EncodedBody> {
    const coding = this.codingFor(req.headers['accept-encoding'], hit.byteLength);
    if (coding === 'identity') return { coding, chunks: [hit.head, hit.tail], byteLength: hit.byteLength };
    const head = this.compressedHead(coding, hit);
    if (!(head instanceof Promise)) return framed(coding, head, hit.tail);
    return head.then(
      (h) => framed(coding, h, hit.tail),
      // The hit goes as stored (the failure is counted where it happened).
      (): EncodedBody => ({ coding: 'identity', chunks: [hit.head, hit.tail], byteLength: hit.byteLength }),
    );
  }

  private compressedHead(coding: 'br' | 'gzip', hit: StoredHit): CompressedHead | Promise<CompressedHead> {
    const key = `${coding}\n${hit.entryKey}`;
    const kept = this.heads.get(key);
    // The same bytes as the entry the store returned now, or not served: a memcmp (~2 µs for 40 kB).
    if (kept !== undefined && kept.source.equals(hit.head)) {
      this.counts.headReuses += 1;
      if (!kept.best) this.refine(key, coding, kept);
      return kept;
    }
    const running = this.pending.get(key);
    if (running !== undefined && running.source.equals(hit.head)) return running.done;
    // A copy: the store's bytes may be a view into a larger reply buffer, or be dropped by it.
    const source = Buffer.from(hit.head);
    this.counts.headCompressions += 1;
    const done = compressHead(coding, source, false).then(
      (head) => {
        if (this.pending.get(key)?.done === done) this.pending.delete(key);
        this.heads.set(key, head);
        if (!head.best) this.refine(key, coding, head);
        return head;
      },
      (error: unknown) => {
        if (this.pending.get(key)?.done === done) this.pending.delete(key);
        this.counts.failures += 1;
        throw new CompressionError(`compressing a stored response (${coding}) failed: ${String(error)}`);
      },
    );
    this.pending.set(key, { source, done });
    return done;
  }

  /**
   * Compresses a quick form's source again at the best level, in the background, one at a time
   * (a form met while another runs is refined on a later hit), and keeps the result in its place
   * if the quick form is still the one kept: a newer entry's form is never replaced by an older's.
   * A failure leaves the quick form.
   */
  private refine(key: string, coding: 'br' | 'gzip', quick: CompressedHead): void {
    if (this.refining !== null) return;
    this.counts.headRefinements += 1;
    this.refining = compressHead(coding, quick.source, true).then(
      (best) => {
        this.refining = null;
        if (this.heads.peek(key) === quick) this.heads.set(key, best);
      },
      () => {
        // The quick form stays.
        this.refining = null;
        this.counts.failures += 1;
      },
    );
  }

  /** Resolves when no best-level compression is under way (tests). */
  async settled(): Promise<void> {
    while (this.refining !== null) await this.refining;
  }

  private accepted(header: string): readonly Coding[] {
    const known = this.preferences.get(header);
    if (known !== undefined) return known;
    const accepted = new Negotiator({ headers: { 'accept-encoding': header } }).encodings(OFFERED, { preferred: OFFERED }) as Coding[];
    this.preferences.set(header, accepted);
    return accepted;
  }
}

export class CompressionError extends Error {
  override readonly name = 'CompressionError';
  readonly code = 'COMPRESSION_FAILED';
}

/**
 * The head compressed up to a flush, so that the stream ends on a byte boundary with everything
 * decodable so far and may go on with a block written by hand (`framed`).
 */
async function compressHead(coding: 'br' | 'gzip', source: Buffer, best: boolean): Promise<CompressedHead> {
  if (coding === 'br') {
    const quality = best ? BROTLI_BEST_QUALITY : BROTLI_QUALITY;
    const bytes = await brotliCompress(source, brotliOptions(source.length, zlib.constants.BROTLI_OPERATION_FLUSH, quality));
    return { source, bytes, crc: 0, best };
  }
  // Z_SYNC_FLUSH: the deflate blocks end with an empty stored block, byte-aligned; no trailer yet.
  // Level 9 costs no more than 6 here: gzip's quick form is its best.
  const bytes = await gzip(source, { level: GZIP_HEAD_LEVEL, finishFlush: zlib.constants.Z_SYNC_FLUSH });
  return { source, bytes, crc: zlib.crc32(source), best: true };
}

/** Largest payload of one deflate stored block, and of one brotli meta-block with a 16-bit length. */
const MAX_BLOCK = 0xffff;

/**
 * The kept compressed head, then the tail as uncompressed blocks that end the stream:
 * - gzip (RFC 1951 §3.2.4, RFC 1952): stored blocks (BFINAL on the last, BTYPE 00, LEN, NLEN,
 *   the bytes), then the trailer, CRC-32 and length of the whole uncompressed body;
 * - brotli (RFC 7932 §9.2): uncompressed meta-blocks (ISLAST 0, MNIBBLES 4, MLEN − 1,
 *   ISUNCOMPRESSED 1, zero padding, the bytes), then ISLAST 1, ISLASTEMPTY 1.
 */
function framed(coding: 'br' | 'gzip', head: CompressedHead, tail: Buffer): EncodedBody {
  const parts: Buffer[] = [];
  for (let at = 0; at < tail.length || (at === 0 && coding === 'gzip'); at += MAX_BLOCK) {
    const piece = tail.subarray(at, at + MAX_BLOCK);
    const last = at + MAX_BLOCK >= tail.length;
    if (coding === 'gzip') {
      const header = Buffer.allocUnsafe(5);
      header[0] = last ? 1 : 0;
      header.writeUInt16LE(piece.length, 1);
      header.writeUInt16LE(~piece.length & 0xffff, 3);
      parts.push(header, piece);
    } else if (piece.length > 0) {
      // 20 bits, least significant first: ISLAST (0), MNIBBLES (00: four), MLEN − 1 (16 bits), ISUNCOMPRESSED (1).
      const bits = ((piece.length - 1) << 3) | (1 << 19);
      parts.push(Buffer.from([bits & 0xff, (bits >>> 8) & 0xff, (bits >>> 16) & 0xff]), piece);
    }
  }
  if (coding === 'gzip') {
    const trailer = Buffer.allocUnsafe(8);
    trailer.writeUInt32LE(zlib.crc32(tail, head.crc), 0);
    trailer.writeUInt32LE((head.source.length + tail.length) % 2 ** 32, 4);
    parts.push(trailer);
  } else {
    parts.push(BROTLI_END);
  }
  const suffix = Buffer.concat(parts);
  return { coding, chunks: [head.bytes, suffix], byteLength: head.bytes.length + suffix.length };
}

/** ISLAST = 1, ISLASTEMPTY = 1: the end of a brotli stream. */
const BROTLI_END = Buffer.from([0x03]);
