import { dec } from './decimal';
import { canonicalJson, chainHash } from './journal-hash';

describe('journal hash chain', () => {
  it('serializes objects with sorted keys so field order never changes the hash', () => {
    expect(canonicalJson({ b: 1, a: [2, { d: null, c: 'x' }] })).toBe('{"a":[2,{"c":"x","d":null}],"b":1}');
    expect(chainHash(null, { a: 1, b: 2 })).toBe(chainHash(null, { b: 2, a: 1 }));
  });

  it('hashes decimals and dates by their JSON form', () => {
    expect(canonicalJson({ n: dec('1.50'), t: new Date('2026-01-02T03:04:05.000Z') })).toBe(
      '{"n":"1.5","t":"2026-01-02T03:04:05.000Z"}',
    );
  });

  it('links each hash to the previous one', () => {
    const first = chainHash(null, { type: 'OPEN' });
    expect(chainHash(first, { type: 'CLOSE' })).not.toBe(chainHash(null, { type: 'CLOSE' }));
    expect(first).toMatch(/^[0-9a-f]{64}$/);
  });
});
