import type { Knex } from 'knex';
import type { ResilientStore } from '../resolver-cache';
import type { CacheCounters } from './cache';
import type { GenerationFeed } from './generation-feed';

/** Prometheus text exposition of the gateway's counters (`/metrics`). */
export class Metrics {
  sqlStatements = 0;
  operationHits = 0;
  operationMisses = 0;

  constructor(
    db: Knex,
    private readonly cache: CacheCounters,
    private readonly store: ResilientStore | null,
    private readonly feed: GenerationFeed | null = null,
  ) {
    // Counted at the driver boundary: every statement any layer sends, loaders included.
    db.on('query', () => {
      this.sqlStatements += 1;
    });
  }

  render(): string {
    const lines: string[] = [];
    const metric = (name: string, type: 'counter' | 'gauge', help: string, samples: [string, number][]) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
    };
    const perType = (pick: (c: { hits: number; misses: number; bypasses: number; errors: number; computations: number }) => number) =>
      [...this.cache.byType].map(([type, c]): [string, number] => [`{type="${type}"}`, pick(c)]);
    metric('pms_sql_statements_total', 'counter', 'SQL statements sent to the database.', [['', this.sqlStatements]]);
    metric('pms_cache_hits_total', 'counter', 'Cached fields served from the cache store.', perType((c) => c.hits));
    metric('pms_cache_misses_total', 'counter', 'Cached fields computed because the store had no entry.', perType((c) => c.misses));
    metric('pms_cache_bypasses_total', 'counter', 'Cached fields served from the database by policy (historical reads).', perType((c) => c.bypasses));
    metric('pms_cache_errors_total', 'counter', 'Cache store calls that failed or were skipped.', perType((c) => c.errors));
    metric('pms_cache_computations_total', 'counter', 'Values computed for the cache (requests and warming).', perType((c) => c.computations));
    metric('pms_operation_cache_hits_total', 'counter', 'Whole operations answered with stored bytes.', [['', this.operationHits]]);
    metric('pms_operation_cache_misses_total', 'counter', 'Fully cacheable operations that had to execute.', [['', this.operationMisses]]);
    if (this.store) {
      const s = this.store.stats();
      metric('pms_cache_store_circuit_open', 'gauge', '1 while the circuit to the cache store is open or half-open.', [['', s.state === 'closed' ? 0 : 1]]);
      metric('pms_cache_store_failures_total', 'counter', 'Cache store calls that failed (errors and timeouts).', [['', s.failures]]);
      metric('pms_cache_store_short_circuits_total', 'counter', 'Cache store calls skipped while the circuit was open.', [['', s.shortCircuits]]);
      metric('pms_cache_store_late_timeouts_total', 'counter', 'Cache store calls timed out while the event loop was late (not blamed on the store).', [['', s.lateTimeouts]]);
    }
    if (this.feed) {
      metric('pms_invalidation_feed_listening', 'gauge', '1 while committed generations are being received (0: the cache is bypassed).', [['', this.feed.listening ? 1 : 0]]);
    }
    const memory = process.memoryUsage();
    metric('process_resident_memory_bytes', 'gauge', 'Resident set size.', [['', memory.rss]]);
    return `${lines.join('\n')}\n`;
  }
}
