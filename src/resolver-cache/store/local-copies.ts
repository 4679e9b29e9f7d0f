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
 * past the entry's TTL. Least recently used copies are dropped past `maxBytes`.
 */
export class LocalCopies {
  private readonly copies = new Map<string, Copy>();
  private bytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly now: Now = systemNow,
  ) {}

  /** The copy under `key`, unless absent or expired (an expired one is dropped). Marks it recently used. */
  get(key: string): CacheBytesEntry | null {
    const copy = this.copies.get(key);
    if (copy === undefined) return null;
    if (copy.expiresAt <= this.now()) {
      this.delete(key, copy);
      return null;
    }
    this.copies.delete(key);
    this.copies.set(key, copy);
    return copy;
  }

  /** Keeps `bytes` (owned from now on: not modified by anyone) until `expiresAt`. */
  set(key: string, bytes: Buffer, storedAt: number, expiresAt: number): void {
    const previous = this.copies.get(key);
    if (previous !== undefined) this.delete(key, previous);
    if (bytes.length > this.maxBytes || expiresAt <= this.now()) return;
    this.copies.set(key, { bytes, storedAt, expiresAt });
    this.bytes += bytes.length;
    for (const [oldestKey, oldest] of this.copies) {
      if (this.bytes <= this.maxBytes) break;
      this.delete(oldestKey, oldest);
    }
  }

  get size(): number {
    return this.copies.size;
  }

  get byteLength(): number {
    return this.bytes;
  }

  clear(): void {
    this.copies.clear();
    this.bytes = 0;
  }

  private delete(key: string, copy: Copy): void {
    this.copies.delete(key);
    this.bytes -= copy.bytes.length;
  }
}
