/**
 * A histogram of request durations with a few fixed label sets, counted in arrays and written in
 * Prometheus' text format when scraped.
 *
 * prom-client's Histogram validates and hashes the label values on every observation, a child
 * from `labels()` included: about 2 µs, on every request of the hit path (~100 µs in all). Here
 * the caller finds a label set's series once (metrics.ts keeps it per document) and an
 * observation is a bucket search and three additions. The exposition is the one prom-client
 * writes for the same observations (duration-histogram.test.ts compares them), so dashboards and
 * alerts read the same series.
 */
export interface DurationSeries {
  /** `name="value",...` in the histogram's label order, escaped. */
  readonly labels: string;
  /** Observations per bucket, not cumulative: index i counts values in (bound[i-1], bound[i]]; the last, those above every bound. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

export class DurationHistogram {
  private readonly series = new Map<string, DurationSeries>();
  /** The series observed at least once, in the order of their first observation: those written. */
  private readonly observed = new Set<DurationSeries>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
    private readonly bounds: readonly number[],
  ) {
    for (let i = 1; i < bounds.length; i += 1) if (!(bounds[i]! > bounds[i - 1]!)) throw new RangeError('DurationHistogram: bounds must increase');
  }

  /**
   * The series of one set of label values (in `labelNames` order), to keep: the same object for
   * the same values. It is written out from its first observation on.
   */
  seriesOf(values: readonly string[]): DurationSeries {
    if (values.length !== this.labelNames.length) throw new RangeError(`DurationHistogram: ${this.labelNames.length} label values expected`);
    const labels = this.labelNames.map((name, i) => `${name}="${escapeLabelValue(values[i]!)}"`).join(',');
    let series = this.series.get(labels);
    if (series === undefined) {
      series = { labels, counts: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
      this.series.set(labels, series);
    }
    return series;
  }

  observe(series: DurationSeries, seconds: number): void {
    if (!Number.isFinite(seconds)) return;
    if (series.count === 0) this.observed.add(series);
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]!) i += 1;
    series.counts[i]! += 1;
    series.sum += seconds;
    series.count += 1;
  }

  /** The histogram in Prometheus' text format (version 0.0.4), ending with a newline; only HELP and TYPE before the first observation. */
  render(): string {
    const lines = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} histogram`];
    for (const series of this.observed) {
      let cumulative = 0;
      for (let i = 0; i <= this.bounds.length; i += 1) {
        cumulative += series.counts[i]!;
        const le = i < this.bounds.length ? String(this.bounds[i]) : '+Inf';
        lines.push(`${this.name}_bucket{le="${le}",${series.labels}} ${cumulative}`);
      }
      lines.push(`${this.name}_sum{${series.labels}} ${series.sum}`, `${this.name}_count{${series.labels}} ${series.count}`);
    }
    return `${lines.join('\n')}\n`;
  }
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}
