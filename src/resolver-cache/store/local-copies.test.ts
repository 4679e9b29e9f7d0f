import { LocalCopies } from './local-copies';

describe('LocalCopies', () => {
  let now: number;
  const clock = () => now;
  beforeEach(() => {
    now = 1_000_000;
  });

  it('serves a copy until its expiry, then drops it', () => {
    const copies = new LocalCopies(1_000, clock);
    copies.set('k', Buffer.from('value'), 999_000, now + 30_000);
    expect(copies.get('k')).toEqual({ bytes: Buffer.from('value'), storedAt: 999_000, expiresAt: now + 30_000 });
    now += 30_000; // as in Redis, served up to its expiry, not past it
    expect(copies.get('k')).not.toBeNull();
    now += 1;
    expect(copies.get('k')).toBeNull();
    expect(copies.size).toBe(0);
    expect(copies.byteLength).toBe(0);
  });

  it('keeps at most maxBytes, dropping the least recently used first', () => {
    const copies = new LocalCopies(10, clock);
    copies.set('a', Buffer.alloc(4), 1, now + 1_000);
    copies.set('b', Buffer.alloc(4), 1, now + 1_000);
    copies.get('a'); // a is now the most recently used
    copies.set('c', Buffer.alloc(4), 1, now + 1_000);
    expect([copies.get('a') !== null, copies.get('b') !== null, copies.get('c') !== null]).toEqual([true, false, true]);
    expect(copies.byteLength).toBe(8);
  });

  it('refuses a copy larger than maxBytes or already expired, and replaces one under the same key', () => {
    const copies = new LocalCopies(10, clock);
    copies.set('big', Buffer.alloc(11), 1, now + 1_000);
    copies.set('old', Buffer.alloc(1), 1, now);
    copies.set('k', Buffer.alloc(5), 1, now + 1_000);
    copies.set('k', Buffer.alloc(3), 2, now + 1_000);
    expect(copies.get('big')).toBeNull();
    expect(copies.get('old')).toBeNull();
    expect(copies.get('k')?.storedAt).toBe(2);
    expect(copies.byteLength).toBe(3);
  });
});
