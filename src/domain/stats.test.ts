import { dec, ZERO } from './decimal';
import {
  dailySeries,
  downsideDeviation,
  lowerTail,
  mean,
  percentOf,
  pnlWithin,
  runningDrawdown,
  sampleStd,
} from './stats';
import { makeDailyPnl } from './test-factories';

describe('mean and sampleStd', () => {
  it('averages a sample and is 0 for an empty one', () => {
    // (1 + 2 + 3 + 4) / 4 = 2.5
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    expect(mean([])).toBe(0);
  });

  it('uses the n − 1 denominator for the standard deviation', () => {
    // mean 5; squared deviations 9+1+1+1+0+0+4+16 = 32; 32 / 7 = 4.5714285714; sqrt = 2.1380899353
    expect(sampleStd([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(2.1380899353, 9);
  });

  it('reports no dispersion below two observations', () => {
    expect(sampleStd([])).toBe(0);
    expect(sampleStd([0.05])).toBe(0);
  });
});

describe('downsideDeviation', () => {
  it('squares only the shortfalls but divides by every observation', () => {
    // shortfalls below 0: −0.02, −0.04 → 0.0004 + 0.0016 = 0.002; / 4 = 0.0005; sqrt = 0.0223606798
    expect(downsideDeviation([0.01, -0.02, 0.03, -0.04])).toBeCloseTo(0.0223606798, 9);
  });

  it('is 0 when nothing falls below the target', () => {
    expect(downsideDeviation([0.01, 0.02])).toBe(0);
    expect(downsideDeviation([])).toBe(0);
  });
});

describe('lowerTail', () => {
  it('takes the single worst observation as the 95% quantile of 20 observations', () => {
    // k = ⌈20 × 0.05⌉ = 1 (the float 1 − 0.95 must not push it to 2)
    const xs = Array.from({ length: 20 }, (_, i) => i - 5); // −5 .. 14
    expect(lowerTail(xs, 0.95)).toEqual({ quantile: -5, tailMean: -5, tailSize: 1 });
  });

  it('averages the k worst observations for the tail mean', () => {
    // 40 observations: k95 = ⌈40 × 0.05⌉ = 2 → quantile −2, tail mean (−3 − 2) / 2 = −2.5;
    // k99 = ⌈40 × 0.01⌉ = 1 → −3
    const xs = [1, -2, 5, -3, ...Array<number>(36).fill(0.5)];
    expect(lowerTail(xs, 0.95)).toEqual({ quantile: -2, tailMean: -2.5, tailSize: 2 });
    expect(lowerTail(xs, 0.99)).toEqual({ quantile: -3, tailMean: -3, tailSize: 1 });
  });

  it('has no tail for an empty sample', () => {
    expect(lowerTail([], 0.95)).toBeNull();
  });
});

describe('runningDrawdown', () => {
  it('measures each point against the highest value so far', () => {
    // peaks 0,5,5,6,6 → drawdowns 0,0,2,0,4
    const points = runningDrawdown([0, 5, 3, 6, 2].map((v) => dec(v)), ZERO);
    expect(points.map((p) => p.peak.toNumber())).toEqual([0, 5, 5, 6, 6]);
    expect(points.map((p) => p.drawdown.toNumber())).toEqual([0, 0, 2, 0, 4]);
  });

  it('starts the high-water mark at the initial peak, so an early loss is a drawdown', () => {
    // peak 10 before the path: 10 − 8 = 2; 12 is a new peak
    const points = runningDrawdown([dec(8), dec(12)], dec(10));
    expect(points.map((p) => p.drawdown.toNumber())).toEqual([2, 0]);
  });
});

describe('percentOf', () => {
  it('expresses a part of a whole in percent, and 0 of nothing', () => {
    expect(percentOf(dec(1), dec(4))).toBe(25);
    expect(percentOf(dec(1), ZERO)).toBe(0);
  });
});

describe('dailySeries and pnlWithin', () => {
  const points = makeDailyPnl([
    ['2026-11-03', '10.5'],
    ['2026-11-01', '1'],
    ['2026-11-03', '-0.5'],
    ['2026-11-30', '100'],
  ]);

  it('sums each date once, sorts by date and drops dates outside the bounds', () => {
    const series = dailySeries(points, { end: '2026-11-27' });
    expect(series.map((p) => [p.date, p.pnlBrl.toFixed()])).toEqual([
      ['2026-11-01', '1'],
      ['2026-11-03', '10'], // 10.5 − 0.5
    ]);
    expect(dailySeries(points, { start: '2026-11-02', end: '2026-11-30' }).map((p) => p.date)).toEqual([
      '2026-11-03',
      '2026-11-30',
    ]);
  });

  it('totals the P&L inside inclusive bounds', () => {
    // 1 + 10.5 − 0.5 = 11 (the 30th is out)
    expect(pnlWithin(points, { start: '2026-11-01', end: '2026-11-27' }).toFixed()).toBe('11');
    expect(pnlWithin(points, {}).toFixed()).toBe('111');
  });
});
