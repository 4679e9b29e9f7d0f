import type { CacheEntry, CacheStore, LookupBytesRequest, LookupBytesResult, LookupRequest, LookupResult, PutRequest, RaiseRequest } from './cache-store';
import { assertTag, ttlSecondsToMs } from './store-keys';
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
  value: string | Buffer;
  readonly storedAt: number;
  /** Epoch ms after which the entry is gone. */
  readonly expiresAt: number;
  bytes: number;
}

/**
 * The embedded default store: one process, no I/O. Everything here is synchronous, so a raise is
 * trivially atomic; the methods return promises only to honour the port.
 *
 * Both maps rely on Map keeping insertion order: re-inserting a key on access moves it to the end,
 * so the first key is always the least recently used one.
 */
export class MemoryStore implements CacheStore {
  private readonly maxBytes: number;
  private readonly maxGenerations: number;
  private readonly now: Now;
  private readonly entries = new Map<string, StoredEntry>();
  private readonly generations = new Map<string, number>();
  private bytes = 0;
  private evictedEntries = 0;
  private evictedGenerations = 0;

  constructor(options: MemoryStoreOptions = {}) {
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.maxGenerations = options.maxGenerations ?? DEFAULT_MAX_GENERATIONS;
    this.now = options.now ?? systemNow;
    if (!(this.maxBytes > 0) || !(this.maxGenerations > 0)) {
      throw new RangeError('MemoryStore: maxBytes and maxGenerations must be positive');
    }
  }

  lookup(request: LookupRequest): Promise<LookupResult> {
    return settle(() => {
      const { generations, stored } = this.find(request);
      if (stored === null) return { generations, entry: null };
      const value = typeof stored.value === 'string' ? stored.value : stored.value.toString('utf8');
      return { generations, entry: { value, storedAt: stored.storedAt } };
    });
  }

  lookupBytes(request: LookupBytesRequest): Promise<LookupBytesResult> {
    return settle(() => {
      const { generations, stored } = this.find(request);
      if (stored === null) {
        if (request.alongside === undefined) return { generations, entry: null };
        const alongside = request.alongside().map(({ baseKey, factIndexes }): CacheEntry | null => {
          const other = this.live(entryKey(request.tag, baseKey, factIndexes.map((i) => generations[i] ?? 0)));
          return other === null ? null : { value: typeof other.value === 'string' ? other.value : other.value.toString('utf8'), storedAt: other.storedAt };
        });
        return { generations, entry: null, alongside };
      }
      const bytes = typeof stored.value === 'string' ? this.keepAsBytes(stored, stored.value) : stored.value;
      return { generations, entry: { bytes, storedAt: stored.storedAt } };
    });
  }

  /** Text asked for as bytes (a whole response the operation cache stored): converted once. */
  private keepAsBytes(stored: StoredEntry, text: string): Buffer {
    const bytes = Buffer.from(text, 'utf8');
    stored.value = bytes;
    const size = stored.bytes - text.length + bytes.length;
    this.bytes += size - stored.bytes;
    stored.bytes = size;
    return bytes;
  }

  put(request: PutRequest): Promise<void> {
    return settle(() => {
      assertTag(request.tag);
      const ttlMs = ttlSecondsToMs(request.ttlSeconds);
      const key = entryKey(request.tag, request.baseKey, request.generations);
      const previous = this.entries.get(key);
      if (previous !== undefined) this.deleteEntry(key, previous);
      const bytes = key.length + request.value.length;
      // Nothing to keep: a non-positive TTL, or an entry that would evict everything else and
      // still not fit.
      if (ttlMs === null || bytes > this.maxBytes) return;
      this.entries.set(key, {
        value: request.value,
        storedAt: request.storedAt,
        expiresAt: this.now() + ttlMs,
        bytes,
      });
      this.bytes += bytes;
      for (const [oldestKey, oldest] of this.entries) {
        if (this.bytes <= this.maxBytes) break;
        this.deleteEntry(oldestKey, oldest);
        this.evictedEntries += 1;
      }
    });
  }

  raise(request: RaiseRequest): Promise<void> {
    return settle(() => {
      assertTag(request.tag);
      request.facts.forEach((fact, i) => this.generation(request.tag, fact, request.generations[i] ?? 0));
    });
  }

  ttlMs(request: Omit<PutRequest, 'value' | 'ttlSeconds' | 'storedAt'>): Promise<number | null> {
    return settle(() => {
      assertTag(request.tag);
      const stored = this.entries.get(entryKey(request.tag, request.baseKey, request.generations));
      if (stored === undefined) return null;
      const remaining = stored.expiresAt - this.now();
      return remaining > 0 ? remaining : null;
    });
  }

  close(): Promise<void> {
    this.entries.clear();
    this.generations.clear();
    this.bytes = 0;
    return Promise.resolve();
  }

  stats(): MemoryStoreStats {
    return {
      entries: this.entries.size,
      bytes: this.bytes,
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
    const stored = this.entries.get(key);
    if (stored === undefined) return null;
    if (stored.expiresAt <= this.now()) {
      this.deleteEntry(key, stored);
      return null;
    }
    this.entries.delete(key);
    this.entries.set(key, stored);
    return stored;
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
    if (current !== undefined) this.generations.delete(key);
    const generation = current === undefined ? floor : Math.max(current, floor);
    this.generations.set(key, generation);
    if (current === undefined && this.generations.size > this.maxGenerations) {
      const oldest = this.generations.keys().next();
      if (oldest.done !== true) {
        this.generations.delete(oldest.value);
        this.evictedGenerations += 1;
      }
    }
    return generation;
  }

  private deleteEntry(key: string, stored: StoredEntry): void {
    this.entries.delete(key);
    this.bytes -= stored.bytes;
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
