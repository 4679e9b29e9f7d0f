import { systemClock, today, type Clock } from './dates';

const at = (iso: string): Clock => ({ now: () => new Date(iso) });

describe('today', () => {
  it('is the date in São Paulo (UTC−3): a new day begins at 03:00 UTC', () => {
    expect(today(at('2026-12-07T02:59:59.999Z'))).toBe('2026-12-06');
    expect(today(at('2026-12-07T03:00:00.000Z'))).toBe('2026-12-07');
    expect(today(at('2026-12-07T23:59:59.999Z'))).toBe('2026-12-07');
    expect(today(at('2026-12-08T02:59:59.999Z'))).toBe('2026-12-07');
  });

  it('answers every instant right whatever the previous question (the memo follows the clock both ways)', () => {
    const instants = ['2026-12-07T12:00:00Z', '2026-11-30T03:00:00Z', '2026-12-07T02:00:00Z', '1999-12-31T23:00:00Z', '2026-12-07T03:00:00Z', '1970-01-01T01:00:00Z'];
    for (const iso of [...instants, ...instants.reverse()]) {
      const expected = new Date(new Date(iso).getTime() - 3 * 3_600_000).toISOString().slice(0, 10);
      expect(today(at(iso))).toBe(expected);
    }
  });

  it('reads the system clock', () => {
    const expected = new Date(Date.now() - 3 * 3_600_000).toISOString().slice(0, 10);
    expect(today(systemClock)).toBe(expected);
  });
});
