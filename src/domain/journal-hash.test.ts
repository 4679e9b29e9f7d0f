import { dec } from './decimal';
import { chainHash } from './journal-hash';

/** A journal entry's hashed content, as journal.repository.ts assembles it. */
const entry = {
  portfolioId: '6f1c2a7e-0000-4000-8000-000000000001',
  type: 'OPEN',
  positionId: '6f1c2a7e-0000-4000-8000-000000000002',
  proposalId: null,
  instrumentId: '6f1c2a7e-0000-4000-8000-000000000003',
  direction: 'LONG',
  notionalBrl: '1000000.00',
  price: '98.12345678',
  managerNotes: 'Carry "trade" é',
  systemNotes: null,
  actor: 'pm@fund',
  createdAt: '2026-01-02T03:04:05.123Z',
};

describe('journal hash chain', () => {
  it('hashes objects with sorted keys so field order never changes the hash', () => {
    expect(chainHash(null, { a: 1, b: 2 })).toBe(chainHash(null, { b: 2, a: 1 }));
    expect(chainHash(null, { b: 1, a: [2, { d: null, c: 'x' }] })).toBe(chainHash(null, { a: [2, { c: 'x', d: null }], b: 1 }));
  });

  it('hashes decimals and dates by their JSON form', () => {
    expect(chainHash(null, { n: dec('1.50'), t: new Date('2026-01-02T03:04:05.000Z') })).toBe(
      chainHash(null, { n: '1.5', t: '2026-01-02T03:04:05.000Z' }),
    );
  });

  // Stored rows are verified by recomputing their hashes: these values were computed before the
  // canonical JSON moved to src/shared, and must never change.
  it('gives the hashes stored rows were written with', () => {
    const first = chainHash(null, entry);
    expect(first).toBe('c68e5ce4892a0db13e28eadd80ba6a9c6945f8ac60290c82609eb03c2aae5c85');
    expect(chainHash(first, { ...entry, type: 'CLOSE' })).toBe('78ffb1c735d0c2babaa0a0054cbdd3e258e15ef5f493134a56b95064a0da1840');
  });

  it('links each hash to the previous one', () => {
    const first = chainHash(null, { type: 'OPEN' });
    expect(chainHash(first, { type: 'CLOSE' })).not.toBe(chainHash(null, { type: 'CLOSE' }));
    expect(first).toMatch(/^[0-9a-f]{64}$/);
  });
});
