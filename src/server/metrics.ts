import { getOperationAST, type DocumentNode, type GraphQLFormattedError } from 'graphql';
import type { Knex } from 'knex';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { ResilientStore } from '../resolver-cache';
import type { CacheCounters } from './cache';
import { DurationHistogram, type DurationSeries } from './duration-histogram';
import type { GenerationFeed } from './generation-feed';
import type { RequestTrace } from './http';
import type { FormatError } from './operation-gate';
import type { WarmerStats } from './warm';

/**
 * Distinct operation names a gateway labels its request histogram with; later names count as
 * `other`. Only names defined by a document the gate admitted (parsed, validated, within the
 * limits) are candidates, so a client sending random names costs at most this many series, once.
 */
export const MAX_OPERATION_LABELS = 200;
/** The labels of a request that executed no admitted operation (refusals, the landing page). */
const NO_OPERATION = { operation: 'none', type: 'none' } as const;
/** Distinct error codes labelled; the server's own codes are a few dozen, the rest is `OTHER`. */
export const MAX_ERROR_CODES = 50;

/** Request durations from 0.5 ms (a hit from the operation cache) to 10 s (the statement timeout). */
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Node's default metrics (event-loop lag, GC, heap, RSS, CPU, handles) describe the process, and
 * collectDefaultMetrics installs a process-wide GC observer and event-loop monitor that can never
 * be removed: registered once per process on a registry of their own (never prom-client's global
 * one) and appended to every gateway's exposition. Per gateway, each gateway built in a test
 * process would leave an observer and a monitor behind.
 */
let processRegistry: Registry | null = null;
function processMetrics(): Registry {
  if (processRegistry === null) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export interface MetricsSources {
  readonly db: Knex;
  readonly cache: CacheCounters;
  readonly store: ResilientStore | null;
  readonly feed?: GenerationFeed | null;
  /** The warmer's counts (null without warming). */
  readonly warmer?: { readonly stats: WarmerStats } | null;
  /** The response compressor's counts (compression.ts; null with compression off). */
  readonly compression?: { readonly counts: Readonly<Record<CompressionCount, number>> } | null;
}

type CompressionCount = 'headCompressions' | 'headRefinements' | 'headReuses' | 'bodyCompressions' | 'failures';

type CounterField = 'hits' | 'misses' | 'bypasses' | 'errors' | 'computations';

/**
 * The gateway's Prometheus metrics, on a registry of its own (several gateways share a process in
 * tests). Values that are already counted elsewhere (the cache hooks' counters, the store's
 * breaker, the warmer) are read when scraped; requests and errors are observed as they happen.
 */
export class Metrics {
  readonly registry = new Registry();
  /** Counted by app.ts on the operation cache's hit path; read on scrape. */
  operationHits = 0;
  operationMisses = 0;
  private sqlStatements = 0;
  private readonly operationLabels = new Set<string>();
  private readonly errorCodes = new Set<string>();
  /** Written beside the registry's metrics (duration-histogram.ts says why it is not prom-client's). */
  private readonly duration = new DurationHistogram(
    'pms_graphql_request_duration_seconds',
    `GraphQL requests on /graphql by operation name (at most ${MAX_OPERATION_LABELS} names of admitted documents, then "other"; "anonymous"; "none" when no document was admitted), operation type, and whether the operation cache answered.`,
    ['operation', 'type', 'cached'],
    DURATION_BUCKETS,
  );
  /** The series of each operation label and type (bounded as the labels are): not cached, then cached. */
  private readonly series = new Map<string, readonly [DurationSeries, DurationSeries]>();
  private readonly errors: Counter<'code'>;

  constructor(private readonly sources: MetricsSources) {
    // Counted at the driver boundary: every statement any layer sends, loaders and warming included.
    sources.db.on('query', () => {
      this.sqlStatements += 1;
    });
    const registers = [this.registry];
    this.errors = new Counter({
      name: 'pms_graphql_errors_total',
      help: "Errors answered, by extensions.code: the gate's refusals (UNAUTHENTICATED, RATE_LIMITED, LIMIT_EXCEEDED, GRAPHQL_PARSE_FAILED, ...) and Apollo's.",
      labelNames: ['code'],
      registers,
    });
    this.cacheMetrics(registers);
    this.warmMetrics(registers);
  }

  /** The exposition for /metrics: this gateway's registry, then the process's default metrics. */
  async render(): Promise<{ contentType: string; text: string }> {
    const [own, process] = await Promise.all([this.registry.metrics(), processMetrics().metrics()]);
    return { contentType: this.registry.contentType, text: `${own}\n${this.duration.render()}\n${process}` };
  }

  /** http.ts's observe hook: one request done. */
  readonly observe = (trace: RequestTrace, seconds: number): void => {
    const { operation, type } = trace.document === undefined ? NO_OPERATION : this.operationOf(trace.document, trace.operationName);
    const key = `${operation}\n${type}`;
    let pair = this.series.get(key);
    if (pair === undefined) {
      pair = [this.duration.seriesOf([operation, type, 'false']), this.duration.seriesOf([operation, type, 'true'])];
      this.series.set(key, pair);
    }
    this.duration.observe(pair[trace.cached ? 1 : 0], seconds);
    if (trace.refusedBody !== undefined) for (const code of codesOf(trace.refusedBody)) this.countError(code);
  };

  /**
   * Apollo's formatError, counting the code of each error it formats: every error of every
   * response Apollo sends, its HTTP-level refusals (a CSRF 400, a malformed request) included,
   * as clients see it. Counted here rather than in a plugin, so that no request pays for a plugin
   * hook. The gate's refusals are counted from their bodies (`observe`): give the gate the
   * formatError unwrapped.
   */
  countingErrors(formatError: FormatError): FormatError {
    return (formatted, error) => {
      let result: GraphQLFormattedError;
      try {
        result = formatError(formatted, error);
      } catch (failure) {
        // Apollo answers INTERNAL_SERVER_ERROR in its place.
        this.countError(undefined);
        throw failure;
      }
      this.countError(result.extensions?.code);
      return result;
    };
  }

  private countError(code: unknown): void {
    const name = typeof code === 'string' && /^[A-Z0-9_]{1,64}$/.test(code) ? code : 'INTERNAL_SERVER_ERROR';
    if (!this.errorCodes.has(name) && this.errorCodes.size >= MAX_ERROR_CODES) return void this.errors.inc({ code: 'OTHER' });
    this.errorCodes.add(name);
    this.errors.inc({ code: name });
  }

  /** The label of the operation a request executed, bounded as MAX_OPERATION_LABELS says. */
  private operationOf(document: DocumentNode, operationName: string | null): { operation: string; type: string } {
    // The operation execution runs, chosen as graphql-js chooses it.
    const definition = getOperationAST(document, operationName);
    if (!definition) return NO_OPERATION;
    const name = definition.name?.value;
    if (name === undefined) return { operation: 'anonymous', type: definition.operation };
    if (this.operationLabels.has(name)) return { operation: name, type: definition.operation };
    if (this.operationLabels.size >= MAX_OPERATION_LABELS) return { operation: 'other', type: definition.operation };
    this.operationLabels.add(name);
    return { operation: name, type: definition.operation };
  }

  /** The cache's metrics, under the names they had before this registry (dashboards keep working). */
  private cacheMetrics(registers: Registry[]): void {
    const { cache, store, feed } = this.sources;
    const perType = (name: string, help: string, field: CounterField) =>
      new Counter({
        name,
        help,
        labelNames: ['type'],
        registers,
        collect() {
          this.reset();
          for (const [type, counts] of cache.byType) this.inc({ type }, counts[field]);
        },
      });
    perType('pms_cache_hits_total', 'Cached fields served from the cache store.', 'hits');
    perType('pms_cache_misses_total', 'Cached fields computed because the store had no entry.', 'misses');
    perType('pms_cache_bypasses_total', 'Cached fields served from the database by policy (historical reads).', 'bypasses');
    perType('pms_cache_errors_total', 'Cache store calls that failed or were skipped.', 'errors');
    perType('pms_cache_computations_total', 'Values computed for the cache (requests and warming).', 'computations');
    new Gauge({
      name: 'pms_cache_hit_ratio',
      help: 'Hits / (hits + misses) per cached type since start (bypasses not counted); absent before the first.',
      labelNames: ['type'],
      registers,
      collect() {
        this.reset();
        for (const [type, c] of cache.byType) if (c.hits + c.misses > 0) this.set({ type }, c.hits / (c.hits + c.misses));
      },
    });
    const scalar = (name: string, help: string, read: () => number, kind: 'counter' | 'gauge' = 'counter') =>
      kind === 'counter'
        ? new Counter({ name, help, registers, collect() { this.reset(); this.inc(read()); } })
        : new Gauge({ name, help, registers, collect() { this.set(read()); } });
    scalar('pms_sql_statements_total', 'SQL statements sent to the database.', () => this.sqlStatements);
    scalar('pms_operation_cache_hits_total', 'Whole operations answered with stored bytes.', () => this.operationHits);
    scalar('pms_operation_cache_misses_total', 'Fully cacheable operations that had to execute.', () => this.operationMisses);
    if (store) {
      scalar('pms_cache_store_circuit_open', '1 while the circuit to the cache store is open or half-open.', () => (store.state === 'closed' ? 0 : 1), 'gauge');
      scalar('pms_cache_store_failures_total', 'Cache store calls that failed (errors and timeouts).', () => store.stats().failures);
      scalar('pms_cache_store_short_circuits_total', 'Cache store calls skipped while the circuit was open.', () => store.stats().shortCircuits);
      scalar('pms_cache_store_late_timeouts_total', 'Cache store calls timed out while the event loop was late (not blamed on the store).', () => store.stats().lateTimeouts);
    }
    const compression = this.sources.compression;
    if (compression) {
      const c = compression.counts;
      scalar('pms_compression_head_compressions_total', 'Stored responses compressed for the hit path (once per entry and coding).', () => c.headCompressions);
      scalar('pms_compression_head_reuses_total', 'Compressed hits sent from a kept compressed form, with no compression.', () => c.headReuses);
      scalar('pms_compression_head_refinements_total', 'Kept brotli forms recompressed at quality 11 in the background.', () => c.headRefinements);
      scalar('pms_compression_body_compressions_total', "Apollo's response bodies compressed (misses, mutations, errors).", () => c.bodyCompressions);
      scalar('pms_compression_failures_total', 'Compressions that failed (the body went uncompressed).', () => c.failures);
    }
    if (feed) {
      scalar('pms_invalidation_feed_listening', '1 while committed generations are being received (0: the cache is bypassed).', () => (feed.listening ? 1 : 0), 'gauge');
    }
  }

  /** Scheduled warming (warm.ts), read from the warmer's counts on scrape. */
  private warmMetrics(registers: Registry[]): void {
    const warmer = this.sources.warmer;
    if (!warmer) return;
    const byLabel = (name: string, help: string, label: string, read: () => ReadonlyMap<string, number>) =>
      new Counter({
        name,
        help,
        labelNames: [label],
        registers,
        collect() {
          this.reset();
          for (const [value, count] of read()) this.inc({ [label]: value }, count);
        },
      });
    byLabel('pms_cache_warm_runs_total', 'Warming runs by outcome: completed, failed, or skipped as locked (another instance warms), store-unavailable, unsynced, running, stopped.', 'outcome', () => warmer.stats.runs);
    byLabel('pms_cache_warm_fields_total', 'Entries computed and stored by warming, by cached type.', 'type', () => warmer.stats.fields);
    byLabel('pms_cache_warm_failures_total', 'Warming computations that failed, by cached type (the next read computes them).', 'type', () => warmer.stats.failures);
    new Gauge({
      name: 'pms_cache_warm_last_duration_seconds',
      help: 'Duration of the last completed warming run of this instance; absent before the first.',
      registers,
      collect() {
        const seconds = warmer.stats.lastDurationSeconds;
        if (seconds === null) this.reset();
        else this.set(seconds);
      },
    });
  }
}

/** The `extensions.code` of each error of a JSON error body; `BAD_REQUEST` when it cannot be read. */
function codesOf(body: string): string[] {
  try {
    const parsed = JSON.parse(body) as { errors?: { extensions?: { code?: unknown } }[] };
    return (parsed.errors ?? []).map((e) => (typeof e.extensions?.code === 'string' ? e.extensions.code : 'INTERNAL_SERVER_ERROR'));
  } catch {
    return ['BAD_REQUEST'];
  }
}
