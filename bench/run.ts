// `npm run bench`: ensures the data, starts every contender server on loopback, checks that they
// answer alike and that cached answers really are hits, then measures each scenario × contender
// over several rounds (order rotated per round) with the load in its own process, then the desk
// scenario (desk.ts: two instances per contender, reads and writes, an oracle); prints and saves.
import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import pg from 'pg';
import { signToken } from '../src/server/auth';
import { loadConfig } from '../src/server/config';
import {
  BENCH_DATABASE_URL, BENCH_JWT_SECRET, BIG_PORTFOLIO, CEILING_KEY, GATEWAY_REDIS_DB, HOST, PG_BASE_URL, REDIS_BASE_URL,
  REFERENCE_REDIS_DB, baseServerEnv, httpRequest, redisUrl, type HttpAnswer,
} from './common';
import { ensureBenchData, type BenchData } from './data';
import { DESK_SETTINGS, runDesk, type DeskOutcome } from './desk';
import { HOSTILE_SETTINGS, runHostile, type HostileOutcome } from './hostile';
import { attributionBody, bookBody, riskLiveBody, trivialBody } from './documents';
import { measureInvalidation, type InvalidationResult } from './invalidation';
import type { LoadMessage, LoadResult, LoadSpec } from './load';
import { childEnv, collectOutput, ContenderServer, cpuMicros, otherThreadsCpuMicros, peakRssMb, spawnNode, stopAllChildren, stopChild } from './processes';
import { formatReport, summarize, type Check, type ContenderName, type RunResult, type ScenarioId } from './report';

// ---------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------

function intFromEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be an integer in [${min}, ${max}], got "${raw}"`);
  return value;
}

const SETTINGS = {
  rounds: intFromEnv('BENCH_ROUNDS', 3, 1, 20),
  /**
   * Seconds of a measured run. A paired scenario's runs are half as long (and so is their
   * warm-up), a scenario with a `share` runs that share of it.
   */
  durationSeconds: intFromEnv('BENCH_DURATION', 4, 1, 120),
  warmupSeconds: intFromEnv('BENCH_WARMUP', 1, 0, 30),
  /**
   * Unmeasured load on every scenario × contender before the first round, so that no process
   * meets its first measured run with cold code: this many seconds of each scenario whose request
   * is always the same, and one pass over the whole list of the all-miss scenario (see
   * `primeLoad`). 0: no priming at all.
   */
  primeSeconds: intFromEnv('BENCH_PRIME', 1, 0, 60),
  connections: intFromEnv('BENCH_CONNECTIONS', 16, 1, 1000),
  /** Requests of the hit checks (after warm-up, they must cause no SQL and no computation). */
  hitCheckRequests: 200,
};

interface ContenderSpec {
  readonly name: ContenderName;
  readonly script: string;
  readonly env: Readonly<Record<string, string>>;
  readonly description: string;
}

/**
 * Both all-miss contenders remember every portfolio from the priming pass on: a miss is then the
 * same statements in both. With the default minute, a portfolio cost a statement more or not by
 * when that contender had last served it, which the order of the runs decided (4.1 against 4.5
 * SQL statements per request in one round, 4.9 against 4.5 in the next).
 */
const ALL_MISS_PORTFOLIO_MEMORY = { PORTFOLIO_MEMORY_SECONDS: '86400' } as const;

const CONTENDERS: readonly ContenderSpec[] = [
  { name: 'cache', script: 'gateway.js', env: { REDIS_URL: redisUrl(GATEWAY_REDIS_DB) }, description: 'the gateway, resolver cache on Redis DB 14' },
  { name: 'nocache', script: 'gateway.js', env: { CACHE_ENABLED: 'false' }, description: 'the gateway, CACHE_ENABLED=false' },
  {
    name: 'cache-miss',
    script: 'gateway.js',
    env: { REDIS_URL: redisUrl(GATEWAY_REDIS_DB), CACHE_TTL_BOOK: '1', ...ALL_MISS_PORTFOLIO_MEMORY },
    description: 'the gateway with the cache, CACHE_TTL_BOOK=1 (all-miss path)',
  },
  {
    name: 'nocache-miss',
    script: 'gateway.js',
    env: { CACHE_ENABLED: 'false', ...ALL_MISS_PORTFOLIO_MEMORY },
    description: 'the gateway, CACHE_ENABLED=false, used only for the all-miss path',
  },
  {
    name: 'cache-trivial',
    script: 'gateway.js',
    env: { REDIS_URL: redisUrl(GATEWAY_REDIS_DB) },
    description: 'the gateway with the cache, used only for the trivial query',
  },
  { name: 'floor-trivial', script: 'floor.js', env: {}, description: 'the floor, used only for the trivial query' },
  { name: 'response-cache', script: 'response-cache.js', env: {}, description: "same schema, Apollo's response cache on Redis DB 15 (reference)" },
  { name: 'floor', script: 'floor.js', env: {}, description: 'same schema, resolvers return constant objects' },
  { name: 'ceiling', script: 'ceiling.js', env: {}, description: 'bare node:http, one Redis GET of the book bytes' },
];

/**
 * Contenders that are another contender's server asked differently (their own headers, below):
 * no process of their own, their own figures.
 */
const SERVER_OF: Partial<Record<ContenderName, ContenderName>> = { 'cache-br': 'cache', 'response-cache-br': 'response-cache' };

/** What a browser sends: both codings, brotli first (the gateway and the reference both prefer it). */
const ACCEPT_COMPRESSED: Readonly<Record<string, string>> = { 'accept-encoding': 'br, gzip' };

/** Headers of a contender's requests beyond the token and content type. */
const headersOf = (contender: ContenderName): Readonly<Record<string, string>> => (contender.endsWith('-br') ? ACCEPT_COMPRESSED : {});

const serverOf = (servers: ReadonlyMap<ContenderName, ContenderServer>, contender: ContenderName): ContenderServer => {
  const server = servers.get(SERVER_OF[contender] ?? contender);
  if (!server) throw new Error(`no server for contender ${contender}`);
  return server;
};

/** Contenders whose answers come from a cache entry with a TTL (primed fresh before hit runs). */
const CACHING: ReadonlySet<ContenderName> = new Set(['cache', 'response-cache', 'cache-br', 'response-cache-br']);

interface Scenario {
  readonly id: ScenarioId;
  readonly title: string;
  readonly contenders: readonly ContenderName[];
  /** Hit scenarios: repeat requests must be answered without SQL or computation (checked). */
  readonly hit: boolean;
  /**
   * Paired scenarios (two contenders whose ratio sits near its target) run this many pairs of
   * half-runs per round (half the duration, half the warm-up each), in alternating order: with 4,
   * A B B A A B B A (the next round B A A B B A A B). Neither contender is always first, each pair
   * is seconds apart, and the round's ratio rests on every pair. A scenario with a list of
   * requests starts each pair past the requests of the one before.
   */
  readonly pairs?: number;
  /** Share of `durationSeconds` each run lasts (hit scenarios without a target: 0.75). Default 1. */
  readonly share?: number;
  readonly bodies: (data: BenchData) => string[];
}

const ALL_SCENARIOS: readonly Scenario[] = [
  {
    id: 'book',
    title: 'book, hit path',
    contenders: ['cache', 'response-cache', 'floor', 'ceiling', 'nocache'],
    hit: true,
    bodies: () => [bookBody(BIG_PORTFOLIO)],
  },
  {
    id: 'miss',
    title: 'book, all-miss',
    // Two processes that serve nothing else, primed alike: the same history, so neither is warmer
    // (the `nocache` gateway also computes big books in the book scenario, which warms its code).
    contenders: ['cache-miss', 'nocache-miss'],
    hit: false,
    pairs: 4,
    bodies: (d) => d.missPortfolios.map(bookBody),
  },
  // No target, and ratios of 5–9: shorter runs leave the time to the paired scenarios.
  { id: 'attribution', title: 'attribution, hit path', contenders: ['cache', 'response-cache', 'floor'], hit: true, share: 0.75, bodies: () => [attributionBody(BIG_PORTFOLIO)] },
  // Same work as the floor (parity is 1.0, the target 0.95): paired, so that drift cancels.
  // Within a round never right after the all-miss scenario (the order rotates, keeping its
  // cycle): the first runs after it were up to a third slower whatever the contender, the machine
  // idle in between. Two processes that serve nothing else, like the all-miss pair: a gateway
  // that had served the hit scenarios answered trivial queries ~8% slower than a fresh one (at
  // the switch, V8 deoptimized Node's stream functions, optimized on the hits' traffic, for maps
  // and branches they had not met).
  { id: 'trivial', title: 'trivial { __typename }', contenders: ['cache-trivial', 'floor-trivial'], hit: false, pairs: 2, bodies: () => [trivialBody()] },
  { id: 'riskLive', title: 'riskLive, hit path', contenders: ['cache', 'response-cache', 'floor'], hit: true, share: 0.75, bodies: () => [riskLiveBody(BIG_PORTFOLIO)] },
  // The book hit with `accept-encoding: br, gzip` (the `-br` contenders) against the same server's
  // uncompressed hit, and against the reference compressing each response (the same HTTP layer,
  // Apollo's body compressed whole): requests/s and bytes on the wire. Shorter runs: ~40 s in all.
  {
    id: 'compressed',
    title: 'book, hit path, br',
    contenders: ['cache-br', 'cache', 'response-cache-br'],
    hit: true,
    share: 0.75,
    bodies: () => [bookBody(BIG_PORTFOLIO)],
  },
];

/** The desk scenario (desk.ts) has its own servers, load and figures; it runs after the others. */
const DESK_ID = 'desk';

/** The hostile scenario (hostile.ts): its own fresh gateway, hostile documents; it runs last. */
const HOSTILE_ID = 'hostile';

/** BENCH_SCENARIOS=trivial,book runs only those (a closer look at one path); all by default. */
function selectScenarios(raw: string | undefined): { readonly scenarios: readonly Scenario[]; readonly desk: boolean; readonly hostile: boolean } {
  if (raw === undefined || raw.trim() === '') return { scenarios: ALL_SCENARIOS, desk: true, hostile: true };
  const ids = raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const unknown = ids.filter((id) => id !== DESK_ID && id !== HOSTILE_ID && !ALL_SCENARIOS.some((s) => s.id === id));
  if (unknown.length > 0) throw new Error(`BENCH_SCENARIOS: unknown ${unknown.join(', ')} (known: ${[...ALL_SCENARIOS.map((s) => s.id), DESK_ID, HOSTILE_ID].join(', ')})`);
  return { scenarios: ALL_SCENARIOS.filter((s) => ids.includes(s.id)), desk: ids.includes(DESK_ID), hostile: ids.includes(HOSTILE_ID) };
}

const SELECTED = selectScenarios(process.env.BENCH_SCENARIOS);
const SCENARIOS = SELECTED.scenarios;

/** Warm-up (seconds, or a number of requests) and measured seconds of one load run. */
type RunTiming = { readonly warmupSeconds: number; readonly warmupRequests?: number; readonly durationSeconds: number };

/**
 * The priming load of a scenario: BENCH_PRIME seconds, or, for a scenario with a list of requests
 * (the all-miss one), the whole list once. A running gateway has met the portfolios it serves
 * before: their generation counters exist in Redis and the instance knows them, so a miss is one
 * MGET and one SET. Against a Redis emptied at the start of the run, the first request for a
 * portfolio runs the lookup script instead, which creates its three generation keys (a TIME and
 * three SETs in Lua: ~300–430 µs of Redis CPU per miss here, against ~200 for a miss of a known
 * portfolio): a once-per-portfolio cost that the measured misses should not be made of. What warms
 * code is requests too: a fresh gateway's threads besides the main one spend ~2.5 ms per miss over
 * its first ~550 misses, ~1–1.4 ms from ~750 on.
 */
function primeLoad(list: readonly string[]): RunTiming {
  // The short measured part only reports the rate; it is not kept.
  return list.length > 1 ? { warmupSeconds: 0, warmupRequests: list.length, durationSeconds: 0.5 } : { warmupSeconds: SETTINGS.primeSeconds, durationSeconds: 0.5 };
}

/**
 * The `node` options of every contender server: `--no-memory-reducer`, then BENCH_NODE_ARGS
 * (space-separated), e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile them inside a run
 * (each writes its profile when the runner stops it).
 *
 * Every server runs as a long-lived service would. V8's memory reducer shrinks the heap of a
 * process that goes idle, and most servers sit idle for a minute or more between their runs. When
 * the all-miss gateway was compared with the uncached gateway of the book scenario (kept busy in
 * between), it paid 2,100–3,100 µs per miss on GC and compiler threads after each idle period,
 * against 600–1,200 (all-miss 0.76–0.79×); with the reducer off on every server, 740–875 against
 * 616–772 (0.98×).
 */
const SERVER_NODE_ARGS: readonly string[] = [
  '--no-memory-reducer',
  ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a.length > 0),
];

/** Warm-up and duration of a measured run of `scenario` (see `Scenario.pairs` and `share`). */
function scenarioTiming(scenario: Scenario): RunTiming {
  if (scenario.pairs !== undefined) return { warmupSeconds: SETTINGS.warmupSeconds / 2, durationSeconds: SETTINGS.durationSeconds / 2 };
  return { warmupSeconds: SETTINGS.warmupSeconds, durationSeconds: SETTINGS.durationSeconds * (scenario.share ?? 1) };
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const startedAt = Date.now();
const elapsed = (): string => `${((Date.now() - startedAt) / 1000).toFixed(0).padStart(3)} s`;
const log = (line: string): void => console.log(`[${elapsed()}] ${line}`);
const fixed = (n: number, digits: number): string => (Number.isFinite(n) ? n.toFixed(digits) : '–');

function rotate<T>(xs: readonly T[], by: number): T[] {
  if (xs.length === 0) return [];
  const k = by % xs.length;
  return [...xs.slice(k), ...xs.slice(0, k)];
}

/**
 * Redis commands executed by the server so far, per command (INFO commandstats, all DBs, commands
 * run inside Lua scripts included; our own INFO calls excluded), and its CPU seconds.
 */
async function redisTotals(admin: Redis): Promise<{ calls: number; byCommand: Map<string, number>; cpuSeconds: number }> {
  const text = (await admin.call('INFO', 'commandstats', 'cpu')) as string;
  let calls = 0;
  let cpuSeconds = 0;
  const byCommand = new Map<string, number>();
  for (const line of text.split('\n')) {
    const stat = /^cmdstat_([^:]+):calls=(\d+)/.exec(line);
    if (stat?.[1] && stat[1] !== 'info') {
      calls += Number(stat[2]);
      byCommand.set(stat[1], Number(stat[2]));
    }
    const cpu = /^used_cpu_(sys|user):([\d.]+)/.exec(line);
    if (cpu) cpuSeconds += Number(cpu[2]);
  }
  return { calls, byCommand, cpuSeconds };
}

interface Snapshot {
  readonly cpuUs: number;
  readonly otherThreadsCpuUs: number;
  readonly metrics: Map<string, number>;
  readonly redisCalls: number;
  readonly redisByCommand: Map<string, number>;
  readonly redisCpuSeconds: number;
}

async function snapshot(server: ContenderServer, admin: Redis): Promise<Snapshot> {
  const [metrics, redis] = await Promise.all([server.counters(), redisTotals(admin)]);
  return { cpuUs: cpuMicros(server.pid), otherThreadsCpuUs: otherThreadsCpuMicros(server.pid), metrics, redisCalls: redis.calls, redisByCommand: redis.byCommand, redisCpuSeconds: redis.cpuSeconds };
}

/** Counter delta, or null when the server does not export it. */
function delta(before: Snapshot, after: Snapshot, ...names: string[]): number | null {
  let found = false;
  let total = 0;
  for (const name of names) {
    const b = before.metrics.get(name);
    const a = after.metrics.get(name);
    if (a === undefined) continue;
    found = true;
    total += a - (b ?? 0);
  }
  return found ? total : null;
}

const computations = (before: Snapshot, after: Snapshot): number | null => delta(before, after, 'pms_cache_computations_total', 'bench_computations_total');
const cacheHits = (before: Snapshot, after: Snapshot): number | null => delta(before, after, 'pms_cache_hits_total', 'pms_operation_cache_hits_total');

// ---------------------------------------------------------------------------------------------
// One measured run: warm-up, then autocannon in its own process, counters bracketed around it
// ---------------------------------------------------------------------------------------------

async function measure(
  scenario: Scenario,
  contender: ContenderName,
  server: ContenderServer,
  bodies: string[],
  token: string,
  admin: Redis,
  round: number,
  startAt: number,
  timing: RunTiming = SETTINGS,
): Promise<RunResult & { nextBody: number }> {
  const spec: LoadSpec = {
    url: server.graphqlUrl,
    connections: SETTINGS.connections,
    warmupSeconds: timing.warmupSeconds,
    ...(timing.warmupRequests === undefined ? {} : { warmupRequests: timing.warmupRequests }),
    durationSeconds: timing.durationSeconds,
    headers: { authorization: `Bearer ${token}`, ...headersOf(contender) },
    bodies,
    startAt,
  };
  const child = spawnNode(path.join(__dirname, 'load.js'), childEnv({}));
  try {
    const output = collectOutput(child);
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const warm = new Promise<void>((resolve, reject) => {
      child.on('message', (message: LoadMessage) => {
        if (message.type === 'warm') resolve();
      });
      void exited.then(([code]) => reject(new Error(`load exited with ${code} before warm-up ended: ${output.stderr()}`)));
    });
    child.send({ type: 'spec', spec } satisfies LoadMessage);
    await warm;
    const before = await snapshot(server, admin);
    child.send({ type: 'go' } satisfies LoadMessage);
    const [code] = await exited;
    const after = await snapshot(server, admin);
    const line = output.stdout().trim().split('\n').pop() ?? '';
    if (code !== 0 || !line.startsWith('{')) throw new Error(`load exited with ${code}: ${output.stderr() || output.stdout()}`);
    const load = JSON.parse(line) as LoadResult;
    const n = Math.max(1, load.requests);
    const per = (value: number | null): number | null => (value === null ? null : value / n);
    return {
      round,
      scenario: scenario.id,
      contender,
      rps: load.rps,
      p50Ms: load.p50Ms,
      p99Ms: load.p99Ms,
      requests: load.requests,
      bytesPerResponse: load.bytesPerResponse,
      cpuUsPerRequest: (after.cpuUs - before.cpuUs) / n,
      otherThreadsCpuUsPerRequest: (after.otherThreadsCpuUs - before.otherThreadsCpuUs) / n,
      redisCommandsPerRequest: (after.redisCalls - before.redisCalls) / n,
      redisCommandMix: Object.fromEntries(
        [...after.redisByCommand]
          .map(([command, calls]) => [command, (calls - (before.redisByCommand.get(command) ?? 0)) / n] as const)
          .filter(([, perRequest]) => perRequest >= 0.005),
      ),
      redisCpuUsPerRequest: ((after.redisCpuSeconds - before.redisCpuSeconds) * 1e6) / n,
      sqlPerRequest: per(delta(before, after, 'pms_sql_statements_total')),
      computationsPerRequest: per(computations(before, after)),
      cacheHitsPerRequest: per(cacheHits(before, after)),
      non2xx: load.non2xx,
      errors: load.errors,
      timeouts: load.timeouts,
      nextBody: load.nextBody,
    };
  } finally {
    await stopChild(child);
  }
}

/**
 * Where runs start in each scenario's list of bodies. Every contender of a scenario starts a pass
 * (the priming, then each round, or each pair of a paired scenario's round) at the same place,
 * and the next pass starts past the furthest any of them got: contenders compared within a round
 * serve the same requests (the all-miss runs, the same portfolios in the same order), and a pass
 * does not repeat the one before. A contender that got less far meets portfolios it has not seen
 * in the next pass; one that got further, portfolios it saw at least a pass ago.
 */
class Cursors {
  private readonly start = new Map<string, number>();
  private readonly furthest = new Map<string, number>();

  constructor(private readonly lengths: ReadonlyMap<string, number>) {}

  startOf(scenario: string): number {
    return this.start.get(scenario) ?? 0;
  }

  /** A run of `scenario` in this pass stopped before body `next`. */
  ran(scenario: string, next: number): void {
    const length = this.lengths.get(scenario) ?? 1;
    const distance = (next - this.startOf(scenario) + length) % length;
    this.furthest.set(scenario, Math.max(this.furthest.get(scenario) ?? 0, distance));
  }

  endPass(): void {
    for (const [scenario, distance] of this.furthest) this.start.set(scenario, (this.startOf(scenario) + distance) % (this.lengths.get(scenario) ?? 1));
    this.furthest.clear();
  }
}

/**
 * Seconds the cached answer still has to live, from what the answer says: the gateway's
 * `extensions.cache` (ttlSeconds − ageSeconds per cached field), Apollo's `cache-control: max-age`
 * minus its `age` header; null when the answer is not cached at all.
 */
function remainingSeconds(answer: HttpAnswer): number | null {
  try {
    const parsed = JSON.parse(answer.body.toString('utf8')) as { extensions?: { cache?: { status?: string; ageSeconds?: number; ttlSeconds?: number }[] } };
    const reports = parsed.extensions?.cache;
    if (Array.isArray(reports) && reports.length > 0) {
      return Math.min(...reports.map((r) => (r.ttlSeconds ?? 0) - (r.status === 'hit' ? (r.ageSeconds ?? 0) : 0)));
    }
  } catch {
    // not JSON: not ours to judge
  }
  const maxAge = /max-age=(\d+)/.exec(String(answer.headers['cache-control'] ?? ''));
  if (maxAge) return Number(maxAge[1]) - Number(answer.headers.age ?? 0);
  return null;
}

/**
 * Before a hit-path run: one request, alone, so that a missing entry is computed once and not by
 * every connection at once; and if the entry would expire during the run, wait for it to expire
 * and ask again. The run then measures hits only, for the gateway and the reference alike.
 */
async function primeFresh(server: ContenderServer, body: string, token: string): Promise<number> {
  const need = SETTINGS.warmupSeconds + SETTINGS.durationSeconds + 3;
  let waited = 0;
  for (let attempt = 0; attempt < 3; attempt++) {
    const remaining = remainingSeconds(await post(server, body, token));
    if (remaining === null || remaining >= need) return waited;
    const ms = (Math.max(0, remaining) + 1) * 1000;
    await new Promise((resolve) => setTimeout(resolve, ms));
    waited += ms / 1000;
  }
  return waited;
}

// ---------------------------------------------------------------------------------------------
// Checks before the rounds: every contender answers each of its scenarios alike, without errors;
// repeat requests of the hit scenarios cause no SQL and no computation
// ---------------------------------------------------------------------------------------------

async function post(server: ContenderServer, body: string, token: string, agent?: http.Agent, headers: Readonly<Record<string, string>> = {}) {
  return httpRequest(server.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
    body,
    agent,
  });
}

/** The body of an answer as text, decoded by its Content-Encoding (the compressed scenario's). */
function decodedText(answer: HttpAnswer): string {
  switch (answer.headers['content-encoding']) {
    case 'br':
      return zlib.brotliDecompressSync(answer.body).toString('utf8');
    case 'gzip':
      return zlib.gunzipSync(answer.body).toString('utf8');
    default:
      return answer.body.toString('utf8');
  }
}

async function probeAnswers(servers: ReadonlyMap<ContenderName, ContenderServer>, data: BenchData, token: string): Promise<Check[]> {
  const checks: Check[] = [];
  for (const scenario of SCENARIOS) {
    const body = scenario.bodies(data)[0]!;
    const answers = new Map<ContenderName, string>();
    const problems: string[] = [];
    for (const name of scenario.contenders) {
      const answer = await post(serverOf(servers, name), body, token, undefined, headersOf(name));
      const expected = headersOf(name)['accept-encoding'] === undefined ? undefined : 'br';
      if (answer.headers['content-encoding'] !== expected) problems.push(`${name}: content-encoding ${answer.headers['content-encoding'] ?? 'none'}, expected ${expected ?? 'none'}`);
      const text = decodedText(answer);
      const parsed = JSON.parse(text) as { data?: unknown; errors?: unknown[] };
      if (answer.status !== 200 || parsed.errors || !parsed.data) {
        problems.push(`${name}: HTTP ${answer.status} ${text.slice(0, 300)}`);
        continue;
      }
      answers.set(name, JSON.stringify(parsed.data));
    }
    const distinct = new Set(answers.values());
    const ok = problems.length === 0 && distinct.size === 1;
    const detail = problems.length > 0 ? problems.join('; ') : distinct.size === 1 ? `${scenario.contenders.join(', ')} answer the same data` : 'answers differ';
    checks.push({ name: `answers of ${scenario.id}`, ok, detail });
  }
  return checks;
}

async function hitChecks(servers: ReadonlyMap<ContenderName, ContenderServer>, data: BenchData, token: string, admin: Redis): Promise<Check[]> {
  const checks: Check[] = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  try {
    for (const scenario of SCENARIOS.filter((s) => s.hit)) {
      const body = scenario.bodies(data)[0]!;
      for (const name of scenario.contenders.filter((c) => c !== 'nocache')) {
        const server = serverOf(servers, name);
        await post(server, body, token, agent, headersOf(name)); // warm (the probes did too)
        const before = await snapshot(server, admin);
        let next = 0;
        const worker = async (): Promise<void> => {
          while (next++ < SETTINGS.hitCheckRequests) await post(server, body, token, agent, headersOf(name));
        };
        await Promise.all(Array.from({ length: 8 }, worker));
        const after = await snapshot(server, admin);
        const sql = delta(before, after, 'pms_sql_statements_total') ?? Number.NaN;
        const computed = computations(before, after) ?? 0;
        checks.push({
          name: `${scenario.id} × ${name} hits`,
          ok: sql === 0 && computed === 0,
          detail: `${SETTINGS.hitCheckRequests} repeat requests after warm-up: ${sql} SQL statements, ${computed} computations`,
        });
      }
    }
  } finally {
    agent.destroy();
  }
  return checks;
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

async function checkServices(admin: Redis): Promise<void> {
  await admin.ping();
  const client = new pg.Client({ connectionString: `${PG_BASE_URL}/postgres` });
  await client.connect();
  await client.end();
}

async function main(): Promise<void> {
  log(
    `bench: ${SETTINGS.rounds} rounds × ${SETTINGS.durationSeconds} s runs (warm-up ${SETTINGS.warmupSeconds} s; ` +
      `${SCENARIOS.filter((s) => s.pairs !== undefined).map((s) => `${s.id} ${s.pairs} pairs of half-runs`).join(', ') || 'no paired scenario'}; ` +
      `${SETTINGS.primeSeconds > 0 ? `priming ${SETTINGS.primeSeconds} s, all-miss one pass over its list` : 'no priming'}), ` +
      `${SETTINGS.connections} connections, ${os.cpus().length} CPUs, node ${process.version}; scenarios ${[...SCENARIOS.map((s) => s.id), ...(SELECTED.desk ? [DESK_ID] : []), ...(SELECTED.hostile ? [HOSTILE_ID] : [])].join(', ')}`,
  );
  for (const url of [PG_BASE_URL, REDIS_BASE_URL]) {
    if (!new URL(url).hostname.match(/^(127\.0\.0\.1|localhost|::1|\[::1\])$/)) throw new Error(`loopback only: ${url}`);
  }
  const admin = new Redis(redisUrl(REFERENCE_REDIS_DB), { maxRetriesPerRequest: 1, lazyConnect: true });
  const servers = new Map<ContenderName, ContenderServer>();
  try {
    await admin.connect();
    await checkServices(admin);
    log(`services: Postgres ${PG_BASE_URL}, Redis ${REDIS_BASE_URL} reachable`);
    const data = await ensureBenchData(log);

    // The bench owns Redis DBs 14 and 15: start every run from empty ones.
    await admin.select(GATEWAY_REDIS_DB);
    await admin.flushdb();
    await admin.select(REFERENCE_REDIS_DB);
    await admin.flushdb();

    const jwt = loadConfig({ NODE_ENV: 'production', JWT_SECRET: BENCH_JWT_SECRET, JOURNAL_KEY: 'bench-journal-key-bench-journal-key-0123' }).jwt;
    const token = signToken(jwt, { id: 'bench.viewer', role: 'VIEWER', portfolios: '*' }, 3_600);

    const runs: RunResult[] = [];
    const checks: Check[] = [];
    let invalidation: InvalidationResult[] = [];
    const peakRss: Record<string, number> = {};
    // Only the desk scenario selected: none of the servers of the others is started.
    if (SCENARIOS.length > 0) {
      log(`servers: starting ${CONTENDERS.filter((c) => c.name !== 'ceiling').map((c) => c.name).join(', ')}…`);
      const started = await Promise.all(
        CONTENDERS.filter((c) => c.name !== 'ceiling').map(async (c) => {
          const server = await ContenderServer.start(c.name, c.script, { ...baseServerEnv(), ...c.env }, SERVER_NODE_ARGS);
          servers.set(c.name, server);
          return server;
        }),
      );
      // The ceiling answers with the bytes of the gateway's own book response.
      const book = await post(servers.get('cache')!, bookBody(BIG_PORTFOLIO), token);
      if (book.status !== 200) throw new Error(`cache: book answered HTTP ${book.status}`);
      await admin.set(CEILING_KEY, book.body);
      const ceiling = CONTENDERS.find((c) => c.name === 'ceiling')!;
      servers.set('ceiling', await ContenderServer.start('ceiling', ceiling.script, { ...baseServerEnv(), ...ceiling.env }, SERVER_NODE_ARGS));
      for (const s of [...started, servers.get('ceiling')!]) log(`servers: ${s.name.padEnd(14)} pid ${s.pid}, ${HOST}:${s.port}`);

      checks.push(...(await probeAnswers(servers, data, token)));
      checks.push(...(await hitChecks(servers, data, token, admin)));
      for (const c of checks) log(`check: ${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}`);

      const bodies = new Map(SCENARIOS.map((s) => [s.id, s.bodies(data)]));
      const cursors = new Cursors(new Map([...bodies].map(([id, list]) => [id, list.length])));
      const perRound = SCENARIOS.reduce((n, s) => n + s.contenders.length * (s.pairs ?? 1), 0);
      if (SETTINGS.primeSeconds > 0) {
        for (const scenario of SCENARIOS) {
          for (const contender of scenario.contenders) {
            const list = bodies.get(scenario.id)!;
            const primed = await measure(scenario, contender, serverOf(servers, contender), list, token, admin, 0, cursors.startOf(scenario.id), primeLoad(list));
            cursors.ran(scenario.id, primed.nextBody);
            log(`priming ${scenario.id.padEnd(11)} × ${contender.padEnd(14)} ${fixed(primed.rps, 0).padStart(6)} rps (not measured)`);
          }
        }
        cursors.endPass();
      }
      for (let round = 1; round <= SETTINGS.rounds; round++) {
        // Interleaved: the scenario order and the contender order within each rotate every round.
        const order = rotate(SCENARIOS, round - 1).flatMap((s) => {
          const contenders = rotate(s.contenders, round - 1);
          if (s.pairs === undefined) return contenders.map((c) => [s, c, false] as const);
          // Each pair starts past the requests of the one before: no process meets again, seconds
          // later, a portfolio it remembers.
          return Array.from({ length: s.pairs }, (_, k) => (k % 2 === 0 ? contenders : [...contenders].reverse())).flatMap((pair) =>
            pair.map((c, j) => [s, c, j === pair.length - 1] as const),
          );
        });
        for (const [i, [scenario, contender, endsPair]] of order.entries()) {
          const timing = scenarioTiming(scenario);
          const server = serverOf(servers, contender);
          const waited = scenario.hit && CACHING.has(contender) ? await primeFresh(server, bodies.get(scenario.id)![0]!, token) : 0;
          if (waited > 0) log(`${scenario.id} × ${contender}: waited ${waited.toFixed(0)} s for the entry to expire (it would have mid-run)`);
          const { nextBody: next, ...result } = await measure(scenario, contender, server, bodies.get(scenario.id)!, token, admin, round, cursors.startOf(scenario.id), timing);
          cursors.ran(scenario.id, next);
          if (endsPair) cursors.endPass();
          runs.push(result);
          log(
            `round ${round}/${SETTINGS.rounds} run ${String(i + 1).padStart(2)}/${perRound} ${scenario.id.padEnd(11)} × ${contender.padEnd(14)} ` +
              `${fixed(result.rps, 0).padStart(6)} rps  p50 ${fixed(result.p50Ms, 2)} ms  p99 ${fixed(result.p99Ms, 2)} ms  ` +
              `cpu ${fixed(result.cpuUsPerRequest, 0)} µs/req (${fixed(result.otherThreadsCpuUsPerRequest, 0)} off the main thread)  redis ${fixed(result.redisCommandsPerRequest, 2)}/req  ` +
              `sql ${result.sqlPerRequest === null ? '–' : fixed(result.sqlPerRequest, 2)}/req` +
              (result.non2xx + result.errors + result.timeouts > 0 ? `  ERRORS non2xx ${result.non2xx} errors ${result.errors} timeouts ${result.timeouts}` : ''),
          );
        }
        cursors.endPass();
      }

      invalidation = await measureInvalidation([100, 100_000], log);
      for (const [name, server] of servers) peakRss[name] = peakRssMb(server.pid);

      log('servers: stopping…');
      await Promise.all([...servers.values()].map((s) => s.stop()));
      servers.clear();
    }

    // The desk scenario, on a machine where no other contender runs any more.
    let desk: DeskOutcome | null = null;
    if (SELECTED.desk) {
      const managerToken = signToken(jwt, { id: 'bench.desk', role: 'MANAGER', portfolios: '*' }, 3_600);
      log(
        `desk: ${DESK_SETTINGS.readsPerSecond} reads/s and ${DESK_SETTINGS.writesPerSecond} writes/s over ${data.deskPortfolios.length} books, ` +
          `${DESK_SETTINGS.warmupSeconds} s warm-up + ${DESK_SETTINGS.durationSeconds} s per contender, two instances each`,
      );
      desk = await runDesk({ data, admin, viewerToken: token, managerToken, nodeArgs: SERVER_NODE_ARGS, log });
      for (const run of desk.runs) run.peakRssMb.forEach((mb, i) => (peakRss[`desk-${run.contender}-${'ab'[i]}`] = mb));
    }

    // The hostile documents, last: a fresh gateway of its own, on a machine where nothing else runs.
    let hostile: HostileOutcome | null = null;
    if (SELECTED.hostile) {
      log(`hostile: a fresh production-mode gateway, ${HOSTILE_SETTINGS.concurrency} requests in flight`);
      hostile = await runHostile({ token, nodeArgs: SERVER_NODE_ARGS, log });
      peakRss.hostile = hostile.peakRssMb;
    }

    const summary = summarize(runs, invalidation, peakRss, checks, desk, hostile);
    console.log(formatReport(summary, SCENARIOS.map((s) => ({ id: s.id, title: s.title, contenders: s.contenders }))));
    const stamp = new Date(startedAt).toISOString();
    const out = {
      startedAt: stamp,
      seconds: (Date.now() - startedAt) / 1000,
      settings: { ...SETTINGS, ...(SELECTED.desk ? { desk: DESK_SETTINGS } : {}), ...(SELECTED.hostile ? { hostile: HOSTILE_SETTINGS } : {}) },
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? '?', memoryGb: os.totalmem() / 2 ** 30, node: process.version, platform: `${os.type()} ${os.release()}` },
      data: { ...data, missPortfolios: data.missPortfolios.length, database: BENCH_DATABASE_URL },
      contenders: CONTENDERS.map((c) => ({ name: c.name, description: c.description, env: c.env })),
      scenarios: SCENARIOS.map((s) => ({ id: s.id, title: s.title, contenders: s.contenders })),
      checks,
      runs,
      desk,
      hostile,
      summary,
    };
    const dir = path.resolve(__dirname, '..', '..', 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${stamp.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
    writeFileSync(path.join(dir, 'latest.json'), `${JSON.stringify(out, null, 2)}\n`);
    log(`results: ${path.relative(process.cwd(), file)} (and latest.json); total ${((Date.now() - startedAt) / 1000).toFixed(0)} s`);
  } finally {
    await Promise.all([...servers.values()].map((s) => s.stop()));
    await stopAllChildren();
    admin.disconnect();
  }
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\nbench: ${signal}, stopping the servers…`);
    void stopAllChildren().finally(() => process.exit(130));
  });
}

main().catch((error: unknown) => {
  console.error(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});

