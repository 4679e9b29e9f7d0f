import { joinVary } from './http';

describe('joinVary', () => {
  it.each<[string | null, string | null, string | null]>([
    [null, null, null],
    ['Origin', null, 'Origin'],
    [null, 'Accept-Encoding', 'Accept-Encoding'],
    ['Origin', 'Accept-Encoding', 'Origin, Accept-Encoding'],
    ['accept, Origin', 'Origin, Accept-Encoding', 'accept, Origin, Accept-Encoding'],
    ['accept-encoding', 'Accept-Encoding', 'accept-encoding'],
    ['*', 'Accept-Encoding', '*'],
    ['', 'Origin', 'Origin'],
  ])('%p and %p → %p', (first, second, joined) => {
    expect(joinVary(first, second)).toBe(joined);
  });
});
