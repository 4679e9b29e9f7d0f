import { Histogram, Registry } from 'prom-client';
import { DurationHistogram } from './duration-histogram';

const BOUNDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const LABELS = ['operation', 'type', 'cached'] as const;

describe('DurationHistogram', () => {
  it('writes what prom-client writes for the same observations', async () => {
    const registry = new Registry();
    const reference = new Histogram({ name: 'd_seconds', help: 'Durations "quoted", back\\slash.', labelNames: [...LABELS], buckets: BOUNDS, registers: [registry] });
    const ours = new DurationHistogram('d_seconds', 'Durations "quoted", back\\slash.', LABELS, BOUNDS);
    const sets = [['Book', 'query', 'true'], ['Book', 'query', 'false'], ['none', 'none', 'false'], ['we"ird\\na\nme', 'mutation', 'false']];
    // Every bound exactly, between bounds, below the first, above the last.
    const values = [0, 0.0001, ...BOUNDS, ...BOUNDS.map((b) => b * 1.5), 11, 1_000];
    let n = 0;
    for (const set of sets) {
      const series = ours.seriesOf(set);
      for (const value of values.slice(0, 5 + 7 * n)) {
        reference.observe({ operation: set[0], type: set[1], cached: set[2] }, value);
        ours.observe(series, value);
      }
      n += 1;
    }
    const expected = await registry.metrics();
    expect(ours.render()).toBe(expected);
  });

  it('counts an observation once, in the first bucket whose bound it does not exceed', () => {
    const histogram = new DurationHistogram('d', 'h', ['a'], [1, 2]);
    const series = histogram.seriesOf(['x']);
    for (const value of [0.5, 1, 1.5, 2, 3, Number.NaN]) histogram.observe(series, value);
    expect([...series.counts]).toEqual([2, 2, 1]);
    expect(series.count).toBe(5);
    expect(series.sum).toBe(8);
    expect(histogram.seriesOf(['x'])).toBe(series);
    // A series never observed is not written.
    histogram.seriesOf(['y']);
    expect(histogram.render()).not.toContain('a="y"');
  });
});
