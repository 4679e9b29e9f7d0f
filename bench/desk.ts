// The desk scenario, run side: for each contender, the desk books put back as generated, Redis
// DBs 14 and 15 emptied, two instances of the contender started (same database, same Redis: two
// instances behind a load balancer), the desk load run against both (desk-load.ts, its own
// process), their CPU read around the measured window, and the instances stopped.
import path from 'node:path';
import { once } from 'node:events';
import type { Redis } from 'ioredis';
import pg from 'pg';
import { BENCH_DATABASE_URL, GATEWAY_REDIS_DB, REFERENCE_REDIS_DB, baseServerEnv, redisUrl } from './common';
import { benchInstruments, resetDesk, type BenchData, type DeskReset } from './data';
import type { DeskLoadMessage, DeskLoadResult, DeskLoadSpec, HitSignal } from './desk-load';
import type { DeskBook, DeskQuery, WriteBounds, WriteMix } from './desk-model';
import { norm } from './desk-model';
import { childEnv, collectOutput, ContenderServer, cpuMicros, peakRssMb, spawnNode, stopChild } from './processes';

function numberFromEnv(name: string, fallback: number, min: number, max: number, integer = false): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new Error(`${name} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got "${raw}"`);
  }
  return value;
}

export const DESK_SETTINGS = {
  /**
   * Offered reads per second over both instances (Poisson arrivals). The uncached pair must
   * sustain it with room to spare, or its baseline measures queues: at 80/s this machine was
   * ~75–80% busy during its run, and a transient (a checkpoint, a burst of compilation) built a
   * backlog of seconds; at 50/s, ~55%.
   */
  readsPerSecond: numberFromEnv('BENCH_DESK_READS', 50, 1, 5_000),
  /** Writes per second (a steady rate), over the books uniformly, one at a time per book. */
  writesPerSecond: numberFromEnv('BENCH_DESK_WRITES', 8, 0.1, 500),
  warmupSeconds: numberFromEnv('BENCH_DESK_WARMUP', 5, 0, 120),
  durationSeconds: numberFromEnv('BENCH_DESK_DURATION', 25, 1, 600),
  seed: numberFromEnv('BENCH_DESK_SEED', 1, 0, 2 ** 31, true),
  zipfExponent: 1,
  queryMix: { book: 0.6, riskLive: 0.25, attribution: 0.15 } satisfies Record<DeskQuery, number>,
  writeMix: { markToMarket: 0.4, openPosition: 0.3, closePosition: 0.3 } satisfies WriteMix,
  bounds: { minOpen: 8, maxOpen: 70 } satisfies WriteBounds,
  maxInFlightReads: 64,
  probeBooks: 3,
} as const;

export type DeskContenderName = 'cache' | 'nocache' | 'response-cache';

interface DeskContender {
  readonly name: DeskContenderName;
  readonly script: string;
  readonly env: Readonly<Record<string, string>>;
  readonly hitSignal: HitSignal;
  readonly description: string;
}

/** In this order: the gateway first, so that it never meets a database warmed by the others. */
export const DESK_CONTENDERS: readonly DeskContender[] = [
  { name: 'cache', script: 'gateway.js', env: { REDIS_URL: redisUrl(GATEWAY_REDIS_DB) }, hitSignal: 'extensions', description: 'two gateways, resolver cache on Redis DB 14' },
  { name: 'nocache', script: 'gateway.js', env: { CACHE_ENABLED: 'false' }, hitSignal: 'none', description: 'two gateways, CACHE_ENABLED=false' },
  { name: 'response-cache', script: 'response-cache.js', env: {}, hitSignal: 'age', description: "two reference servers, Apollo's response cache on Redis DB 15 (hit: an `age` header)" },
];

export interface DeskRun {
  readonly contender: DeskContenderName;
  readonly description: string;
  readonly reset: DeskReset;
  /** Both instances, from spawn to `ready`. */
  readonly startSeconds: number;
  readonly pids: readonly number[];
  readonly load: DeskLoadResult;
  /** CPU of each instance over the measured window, % of one core. */
  readonly cpuPercent: readonly number[];
  /** Both instances' CPU over the measured window per request (reads and writes), µs. */
  readonly cpuUsPerRequest: number;
  /** SQL statements of both instances over the measured window per request (null if not exported). */
  readonly sqlPerRequest: number | null;
  readonly peakRssMb: readonly number[];
  readonly seconds: number;
}

export interface DeskOutcome {
  readonly settings: typeof DESK_SETTINGS;
  readonly books: number;
  readonly openPositions: number;
  readonly runs: readonly DeskRun[];
  readonly seconds: number;
}

/** The desk books as the database holds them now (just after resetDesk): the model's version 0. */
async function readBooks(codes: readonly string[]): Promise<DeskBook[]> {
  const client = new pg.Client({ connectionString: BENCH_DATABASE_URL });
  await client.connect();
  try {
    const rows = await client.query<{
      code: string; id: string | null; ticker: string | null; direction: string | null; notional: string | null;
      unrealized: string | null; realized: string | null; price: string | null; is_open: boolean | null; marked: boolean | null;
    }>(
      `select f.code, p.id, i.ticker, p.direction, p.notional_brl::text as notional, p.unrealized_pnl_brl::text as unrealized,
              p.realized_pnl_brl::text as realized, p.current_price::text as price, p.is_open,
              exists (select 1 from pnl_snapshots s where s.position_id = p.id) as marked
       from portfolios f
       left join positions p on p.portfolio_id = f.id
       left join instruments i on i.id = p.instrument_id
       where f.code = any($1)
       order by f.code, p.id`,
      [codes],
    );
    const books = new Map<string, DeskBook>(codes.map((code) => [code, { code, open: [], closed: [], prices: {} }]));
    for (const r of rows.rows) {
      const book = books.get(r.code)!;
      if (r.id === null) continue;
      if (r.is_open) {
        book.open.push({ id: r.id, ticker: r.ticker!, sign: r.direction === 'SHORT' ? -1 : 1, notional: norm(r.notional!), unrealized: norm(r.unrealized!), marked: r.marked === true });
        book.prices[r.ticker!] ??= norm(r.price!);
      } else {
        book.closed.push({ id: r.id, realized: norm(r.realized!) });
      }
    }
    return codes.map((code) => books.get(code)!);
  } finally {
    await client.end();
  }
}

async function flushBenchRedis(admin: Redis): Promise<void> {
  for (const db of [GATEWAY_REDIS_DB, REFERENCE_REDIS_DB]) {
    await admin.select(db);
    await admin.flushdb();
  }
  await admin.select(REFERENCE_REDIS_DB);
}

interface Window {
  readonly cpuUs: readonly number[];
  readonly sql: number | null;
}

async function readWindow(servers: readonly ContenderServer[]): Promise<Window> {
  const counters = await Promise.all(servers.map((s) => s.counters()));
  const sql = counters.map((c) => c.get('pms_sql_statements_total'));
  const known = sql.filter((n): n is number => n !== undefined);
  return { cpuUs: servers.map((s) => cpuMicros(s.pid)), sql: known.length === sql.length ? known.reduce((a, b) => a + b, 0) : null };
}

async function runLoad(spec: DeskLoadSpec, servers: readonly ContenderServer[]): Promise<{ load: DeskLoadResult; before: Window; after: Window }> {
  const child = spawnNode(path.join(__dirname, 'desk-load.js'), childEnv({}));
  try {
    const output = collectOutput(child);
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    // Counters read when the measured window opens and when it closes (the load does not pause).
    const window: { before?: Promise<Window>; after?: Promise<Window> } = {};
    child.on('message', (message: DeskLoadMessage) => {
      if (message.type === 'warm') window.before = readWindow(servers);
      if (message.type === 'measured') window.after = readWindow(servers);
    });
    child.send({ type: 'spec', spec } satisfies DeskLoadMessage);
    const [code] = await exited;
    const line = output.stdout().trim().split('\n').pop() ?? '';
    if (code !== 0 || !line.startsWith('{') || !window.before || !window.after) throw new Error(`desk-load exited with ${code}: ${output.stderr() || output.stdout()}`);
    return { load: JSON.parse(line) as DeskLoadResult, before: await window.before, after: await window.after };
  } finally {
    await stopChild(child);
  }
}

/** The desk scenario: each contender in turn, on books put back as generated. */
export async function runDesk(options: {
  readonly data: BenchData;
  readonly admin: Redis;
  readonly viewerToken: string;
  readonly managerToken: string;
  readonly nodeArgs: readonly string[];
  readonly log: (line: string) => void;
}): Promise<DeskOutcome> {
  const started = Date.now();
  const s = DESK_SETTINGS;
  const instruments = benchInstruments();
  const runs: DeskRun[] = [];
  let openPositions = 0;
  for (const contender of DESK_CONTENDERS) {
    const runStarted = Date.now();
    await flushBenchRedis(options.admin);
    const reset = await resetDesk();
    const books = await readBooks(options.data.deskPortfolios);
    openPositions = books.reduce((n, b) => n + b.open.length, 0);
    const spawnStarted = Date.now();
    const servers = await Promise.all(
      ['a', 'b'].map((instance) => ContenderServer.start(`desk-${contender.name}-${instance}`, contender.script, { ...baseServerEnv(), ...contender.env }, options.nodeArgs)),
    );
    const startSeconds = (Date.now() - spawnStarted) / 1000;
    try {
      options.log(
        `desk × ${contender.name}: reset (${reset.moved} opened positions moved out, ${reset.restored} restored, ${reset.snapshotsDeleted} snapshots replaced, ` +
          `${reset.seconds.toFixed(1)} s), ${books.length} books, ${openPositions} open positions; instances pid ${servers.map((x) => `${x.pid} :${x.port}`).join(', ')} ` +
          `(started in ${startSeconds.toFixed(1)} s)`,
      );
      const spec: DeskLoadSpec = {
        instances: servers.map((x) => x.graphqlUrl),
        viewerToken: options.viewerToken,
        managerToken: options.managerToken,
        hitSignal: contender.hitSignal,
        seed: s.seed,
        readsPerSecond: s.readsPerSecond,
        writesPerSecond: s.writesPerSecond,
        warmupSeconds: s.warmupSeconds,
        durationSeconds: s.durationSeconds,
        zipfExponent: s.zipfExponent,
        queryMix: s.queryMix,
        writeMix: s.writeMix,
        bounds: s.bounds,
        maxInFlightReads: s.maxInFlightReads,
        books,
        instruments,
        probeBooks: s.probeBooks,
      };
      const { load, before, after } = await runLoad(spec, servers);
      const requests = Math.max(1, load.reads.count + load.reads.failed + load.writes.count + load.writes.failed);
      const cpuUs = after.cpuUs.map((a, i) => a - before.cpuUs[i]!);
      const run: DeskRun = {
        contender: contender.name,
        description: contender.description,
        reset,
        startSeconds,
        pids: servers.map((x) => x.pid),
        load,
        cpuPercent: cpuUs.map((us) => (us / (s.durationSeconds * 1e6)) * 100),
        cpuUsPerRequest: cpuUs.reduce((a, b) => a + b, 0) / requests,
        sqlPerRequest: before.sql === null || after.sql === null ? null : (after.sql - before.sql) / requests,
        peakRssMb: servers.map((x) => peakRssMb(x.pid)),
        seconds: (Date.now() - runStarted) / 1000,
      };
      runs.push(run);
      const hit = (n: number | null, of: number): string => (n === null ? '–' : `${((n / Math.max(1, of)) * 100).toFixed(1)}%`);
      options.log(
        `desk × ${contender.name.padEnd(14)} reads ${load.reads.perSecond.toFixed(0)}/s p50 ${load.reads.p50Ms.toFixed(2)} p99 ${load.reads.p99Ms.toFixed(2)} ms, ` +
          `hits ${hit(load.reads.hits, load.reads.count)} (eligible ${hit(load.reads.eligibleHits, load.reads.eligible)} of ${load.reads.eligible}); ` +
          `writes ${load.writes.perSecond.toFixed(1)}/s p50 ${load.writes.p50Ms.toFixed(1)} p99 ${load.writes.p99Ms.toFixed(1)} ms; ` +
          `stale ${load.oracle.stale}, unexplained ${load.oracle.unexplained} of ${load.oracle.judged} judged; ` +
          `cpu ${run.cpuPercent.map((p) => `${p.toFixed(0)}%`).join(' + ')} of a core, ${run.cpuUsPerRequest.toFixed(0)} µs/req` +
          (load.probe.problems.length > 0 ? `; PROBE ${load.probe.problems.join('; ')}` : '') +
          (load.errors.length > 0 ? `; ERRORS ${load.errors.slice(0, 3).join('; ')}` : ''),
      );
      for (const example of load.oracle.examples.slice(0, 3)) options.log(`desk × ${contender.name}: ${example}`);
    } finally {
      await Promise.all(servers.map((x) => x.stop()));
    }
  }
  return { settings: s, books: options.data.deskPortfolios.length, openPositions, runs, seconds: (Date.now() - started) / 1000 };
}
