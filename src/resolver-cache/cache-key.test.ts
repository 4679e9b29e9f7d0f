import * as crypto from 'node:crypto';
import Decimal from 'decimal.js';
import { canonicalJson } from '../shared/canonical-json';
import { baseKey, KeyDigests, MAX_REMEMBERED_KEY_INPUT_CHARS } from './cache-key';

const sha256 = (...parts: string[]): string => {
  const hash = crypto.createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('base64url');
};

describe('canonicalJson in cache keys', () => {
  it('sorts object keys at every depth and leaves out undefined values', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: undefined } })).toBe('{"a":{"d":[2,{"e":0,"f":1}]},"b":1}');
    expect(canonicalJson({ x: 1, y: 2 })).toBe(canonicalJson({ y: 2, x: 1 }));
  });

  it('writes dates and decimals by value, so different ones never share a key', () => {
    expect(canonicalJson({ asOf: new Date('2026-01-02T00:00:00.000Z'), price: new Decimal('1.50') })).toBe(
      '{"asOf":"2026-01-02T00:00:00.000Z","price":"1.5"}',
    );
  });
});

describe('baseKey', () => {
  it('is the SHA-256 of coordinate, arguments and scope, with or without remembered digests', () => {
    const args = { portfolioId: 'p1', period: 'MTD' };
    const expected = sha256('Query.book', '\n', '{"period":"MTD","portfolioId":"p1"}', '\n', 'portfolio:p1');
    const digests = new KeyDigests();
    expect(baseKey('Query.book', args, 'portfolio:p1')).toBe(expected);
    expect(baseKey('Query.book', args, 'portfolio:p1', digests)).toBe(expected);
    expect(baseKey('Query.book', { period: 'MTD', portfolioId: 'p1' }, 'portfolio:p1', digests)).toBe(expected);
    expect(baseKey('Query.book', args, 'portfolio:p2', digests)).not.toBe(expected);
  });

  // The key once wrote a Date as {} and a Decimal as its internals: two dates shared one entry.
  it('differs for two dates and for two decimals', () => {
    const on = (asOf: Date) => baseKey('Query.book', { asOf }, 'portfolio:p1');
    expect(on(new Date('2026-01-02'))).not.toBe(on(new Date('2026-01-03')));
    const at = (price: Decimal) => baseKey('Query.quote', { price }, 'portfolio:p1');
    expect(at(new Decimal('1.5'))).not.toBe(at(new Decimal('1.25')));
    expect(at(new Decimal('1.5'))).toBe(at(new Decimal('1.50')));
  });

  it('refuses arguments it cannot tell apart rather than share an entry', () => {
    expect(() => baseKey('Query.book', { at: new Map() }, 'portfolio:p1')).toThrow('canonicalJson cannot encode an object of type Map at $.at');
  });
});

describe('KeyDigests', () => {
  it('is SHA-256 in base64url by default', () => {
    expect(new KeyDigests().of('a\nb')).toBe(sha256('a\nb'));
  });

  it('hashes an input once while it is remembered', () => {
    const hashed: string[] = [];
    const digests = new KeyDigests(10, (input) => {
      hashed.push(input);
      return `#${input}`;
    });
    expect(digests.of('a')).toBe('#a');
    expect(digests.of('b')).toBe('#b');
    expect(digests.of('a')).toBe('#a');
    expect(hashed).toEqual(['a', 'b']);
  });

  it('keeps at most maxEntries, the least recently used going first, and never a long input', () => {
    const hashed: string[] = [];
    const digests = new KeyDigests(2, (input) => {
      hashed.push(input);
      return `#${input}`;
    });
    digests.of('one');
    digests.of('two');
    digests.of('one'); // one is now more recent than two
    digests.of('three'); // two goes
    expect(digests.size).toBe(2);
    digests.of('one');
    digests.of('three');
    expect(hashed).toEqual(['one', 'two', 'three']);
    digests.of('two');
    expect(hashed).toEqual(['one', 'two', 'three', 'two']);
    const long = 'x'.repeat(MAX_REMEMBERED_KEY_INPUT_CHARS + 1);
    expect(digests.of(long)).toBe(`#${long}`);
    expect(digests.size).toBe(2);
  });
});
