import { LRUCache } from 'lru-cache';
import {
  ACQUIRED, HELD, WRITTEN, type CacheEntry, type CacheStore, type EntryRequest, type LockOutcome, type LockRequest, type LookupBytesRequest,
  type LookupBytesResult, type LookupRequest, type LookupResult, type PutRequest, type RaiseRequest, type WriteOutcome,
} from './cache-store';
import { assertLockTtl, assertTag, ttlSecondsToMs } from './store-keys';
import { systemNow, type Now } from '../clock';

export interface MemoryStoreOptions {
  /**
   * Bound of the entries, in bytes: the UTF-16 code units of the key, plus those of a text value
   * (one byte each for the ASCII JSON this cache stores) or the length of a bytes value. Least
   * recently used entries are evicted past it.
   */
  readonly maxBytes?: number;
  /** Bound of the number of fact generations kept; least recently used ones are evicted past it. */
  readonly maxGenerations?: number;
  /** Epoch ms. Injectable so tests move time instead of sleeping. */
  readonly now?: Now;
}

export interface MemoryStoreStats {
  readonly entries: number;
  readonly bytes: number;
  readonly generations: number;
  /** Entries evicted to stay under maxBytes (expired ones dropped on access are not counted). */
  readonly evictedEntries: number;
  readonly evictedGenerations: number;
}

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_GENERATIONS = 100_000;

interface StoredEntry {
  /**
   * Kept as it was put, text or bytes; converted on the way out when the other is asked for, except
   * text asked for as bytes, which is converted once and kept as bytes from then on.
   */
  readonly value: string | Buffer;
  readonly storedAt: number;
  readonly bytes: number;
}

/**
 * The embedded default store: one process, no I/O. Everything here is synchronous, so a raise is
 * trivially atomic; the methods return promises only to honour the port.
 *
 * Entries and generations are each a bounded LRU (lru-cache): entries by bytes, each with its TTL
 * on the store's clock (expired as in Redis: once the clock is past it), generations by count.
 */
export class MemoryStore implements CacheStore {
  private readonly maxBytes: number;
  private readonly maxGenerations: number;
  private readonly now: Now;
  private readonly entries: LRUCache<string, StoredEntry>;
  private readonly generations: LRUCache<string, number>;
  /** Lock name → until when (epoch ms) it is held; one process, so a map is the whole lock. */
  private readonly locks = new Map<string, number>();
  private evictedEntries = 0;
  private evictedGenerations = 0;

  constructor(options: MemoryStoreOptions = {}) {
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.maxGenerations = options.maxGenerations ?? DEFAULT_MAX_GENERATIONS;
    this.now = options.now ?? systemNow;
    if (!(this.maxBytes > 0) || !(this.maxGenerations > 0)) {
      throw new RangeError('MemoryStore: maxBytes and maxGenerations must be positive');
    }
    this.entries = new LRUCache<string, StoredEntry>({
      maxSize: this.maxBytes,
      // Every check asks the store's clock: lru-cache would otherwise reuse a reading for a
      // millisecond of real time, which a test clock's move would not end.
      ttlResolution: 0,
      perf: { now: this.now },
      dispose: (_entry, _key, reason) => {
        if (reason === 'evict') this.evictedEntries += 1;
      },
    });
    this.generations = new LRUCache<string, number>({
      max: this.maxGenerations,
      dispose: (_generation, _key, reason) => {
        if (reason === 'evict') this.evictedGenerations += 1;
      },
    });
  }

  lookup(request: LookupRequest): Promise<LookupResult> {
    return settle((): LookupResult => {
      const { generations, stored } = this.find(request);
      if (stored === null) return { kind: 'miss', generations, entry: null };
      const value = typeof stored.value === 'string' ? stored.value : stored.value.toString('utf8');
      return { kind: 'hit', generations, entry: { value, storedAt: stored.storedAt } };
    });
  }

  lookupBytes(request: LookupBytesRequest): Promise<LookupBytesResult> {
    return settle((): LookupBytesResult => {
      const { generations, stored } = this.find(request);
      if (stored === null) {
        if (request.alongside === undefined) return { kind: 'miss', generations, entry: null };
        const alongside = request.alongside().map(({ baseKey, factIndexes }): CacheEntry | null => {
          const other = this.live(entryKey(request.tag, baseKey, factIndexes.map((i) => generations[i] ?? 0)));
          return other === null ? null : { value: typeof other.value === 'string' ? other.value : other.value.toString('utf8'), storedAt: other.storedAt };
        });
        return { kind: 'miss', generations, entry: null, alongside };
      }
      const bytes = typeof stored.value === 'string' ? this.keepAsBytes(request, generations, stored, stored.value) : stored.value;
      return { kind: 'hit', generations, entry: { bytes, storedAt: stored.storedAt } };
    });
  }

  /**
   * Text asked for as bytes (a whole response the operation cache stored): converted once, and
   * kept under the same key with its size in bytes and its expiry unchanged.
   */
  private keepAsBytes(request: LookupRequest, generations: readonly number[], stored: StoredEntry, text: string): Buffer {
    const bytes = Buffer.from(text, 'utf8');
    const size = stored.bytes - text.length + bytes.length;
    const key = entryKey(request.tag, request.baseKey, generations);
    this.entries.set(key, { value: bytes, storedAt: stored.storedAt, bytes: size }, { size, noUpdateTTL: true });
    return bytes;
  }

  put(request: PutRequest): Promise<WriteOutcome> {
    return settle(() => {
      assertTag(request.tag);
      const ttlMs = ttlSecondsToMs(request.ttlSeconds);
      const key = entryKey(request.tag, request.baseKey, request.generations);
      const bytes = key.length + request.value.length;
      // Nothing to keep with a non-positive TTL; an entry larger than maxBytes, which would evict
      // everything else and still not fit, lru-cache refuses. Either way the previous one goes.
      if (ttlMs === null) this.entries.delete(key);
      else this.entries.set(key, { value: request.value, storedAt: request.storedAt, bytes }, { size: bytes, ttl: ttlMs });
      return WRITTEN;
    });
  }

  raise(request: RaiseRequest): Promise<WriteOutcome> {
    return settle(() => {
      assertTag(request.tag);
      request.facts.forEach((fact, i) => this.generation(request.tag, fact, request.generations[i] ?? 0));
      return WRITTEN;
    });
  }

  ttlMs(request: EntryRequest): Promise<number | null> {
    return settle(() => {
      assertTag(request.tag);
      // 0 for an absent entry; not a use of it.
      const remaining = this.entries.getRemainingTTL(entryKey(request.tag, request.baseKey, request.generations));
      return remaining > 0 ? remaining : null;
    });
  }

  /** The local equivalent of Redis's SET NX PX, on the store's clock (fake in tests). */
  acquireLock(request: LockRequest): Promise<LockOutcome> {
    return settle(() => {
      assertLockTtl(request.ttlMs);
      const now = this.now();
      const heldUntil = this.locks.get(request.name);
      if (heldUntil !== undefined && heldUntil > now) return HELD;
      this.locks.set(request.name, now + request.ttlMs);
      return ACQUIRED;
    });
  }

  close(): Promise<void> {
    this.entries.clear();
    this.generations.clear();
    this.locks.clear();
    return Promise.resolve();
  }

  stats(): MemoryStoreStats {
    return {
      entries: this.entries.size,
      bytes: this.entries.calculatedSize,
      generations: this.generations.size,
      evictedEntries: this.evictedEntries,
      evictedGenerations: this.evictedGenerations,
    };
  }

  /** The generations of the request's facts, and its live entry (marked recently used) if any. */
  private find(request: LookupRequest): { generations: number[]; stored: StoredEntry | null } {
    assertTag(request.tag);
    const generations = request.facts.map((fact, i) => this.generation(request.tag, fact, request.floors?.[i] ?? 0));
    return { generations, stored: this.live(entryKey(request.tag, request.baseKey, generations)) };
  }

  /** The entry under `key` unless absent or expired (then dropped), marked recently used. */
  private live(key: string): StoredEntry | null {
    return this.entries.get(key) ?? null;
  }

  /**
   * The current generation of a fact, raised to `floor` first when it is absent or behind it.
   * Marks the fact recently used.
   *
   * Evicting a generation is safe: it comes back at the caller's floor, the committed generation
   * the caller knows of; an entry stored at that number was computed once that generation was
   * current, and one stored under an older number stays unreachable.
   */
  private generation(tag: string, fact: string, floor: number): number {
    const key = generationKey(tag, fact);
    const current = this.generations.get(key);
    if (current !== undefined && current >= floor) return current;
    this.generations.set(key, floor);
    return floor;
  }
}

/** Runs synchronous store logic as the port's promise, turning a throw into a rejection. */
function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

// Length-prefixed, so no tag, fact or base key can make two different triples collide.
function generationKey(tag: string, fact: string): string {
  return `${tag.length}:${tag}${fact}`;
}

function entryKey(tag: string, baseKey: string, generations: readonly number[]): string {
  return `${tag.length}:${tag}${baseKey.length}:${baseKey}${generations.join('.')}`;
}
