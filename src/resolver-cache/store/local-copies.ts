import { LRUCache } from 'lru-cache';
import type { CacheBytesEntry } from './cache-store';
import { systemNow, type Now } from '../clock';

interface Copy extends CacheBytesEntry {
  /** Epoch ms after which the copy is not served. */
  readonly expiresAt: number;
}

/**
 * Entries a remote store has returned, kept in this process by their full key (base key and
 * generations), so that the next read of the same entry needs only the generations from the
 * store: a few bytes instead of the whole value. Whether a copy may be served is still decided by
 * the store's current generations, read in the same round trip as always; a copy is never served
 * past the entry's TTL. A byte-bounded LRU (lru-cache): least recently used copies are dropped
 * past `maxBytes`, expired ones when asked for. As in Redis, a copy expires once the clock is
 * past its `expiresAt`.
 */
export class LocalCopies {
  private readonly copies: LRUCache<string, Copy>;
  private readonly now: Now;

  constructor(maxBytes: number, now: Now = systemNow) {
    // ttlResolution 0: every check asks `now` (lru-cache would otherwise reuse a reading for a
    // millisecond of real time, which a test clock's move would not end).
    this.copies = new LRUCache<string, Copy>({ maxSize: maxBytes, ttlResolution: 0, perf: { now } });
    this.now = now;
  }

  /** The copy under `key`, unless absent or expired (an expired one is dropped). Marks it recently used. */
  get(key: string): CacheBytesEntry | null {
    return this.copies.get(key) ?? null;
  }

  /** Keeps `bytes` (owned from now on: not modified by anyone) until `expiresAt`. */
  set(key: string, bytes: Buffer, storedAt: number, expiresAt: number): void {
    const now = this.now();
    // A copy larger than maxBytes is refused by the cache itself (and the old one under its key
    // dropped, as here).
    if (expiresAt <= now) this.copies.delete(key);
    else this.copies.set(key, { bytes, storedAt, expiresAt }, { size: Math.max(1, bytes.length), ttl: expiresAt - now, start: now });
  }

  get size(): number {
    return this.copies.size;
  }

  get byteLength(): number {
    return this.copies.calculatedSize;
  }

  clear(): void {
    this.copies.clear();
  }
}
