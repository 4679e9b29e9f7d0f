// Turns the runs of one benchmark into its summary: medians over rounds per scenario × contender,
// ratios computed round by round (contenders of one round ran back to back) and their median, the
// targets of the issue marked ✓/✗, and the text table printed at the end.
import { median } from './common';
import type { DESK_SETTINGS, DeskContenderName, DeskOutcome, DeskRun } from './desk';
import { formatHostile, hostileChecks, type HostileOutcome } from './hostile';
import type { InvalidationResult } from './invalidation';

export type ContenderName =
  | 'cache' | 'nocache' | 'cache-miss' | 'nocache-miss' | 'cache-trivial' | 'floor-trivial' | 'response-cache' | 'floor' | 'ceiling'
  // The compressed scenario: the `cache` and `response-cache` servers asked with `accept-encoding: br, gzip`.
  | 'cache-br' | 'response-cache-br';
export type ScenarioId = 'book' | 'miss' | 'trivial' | 'attribution' | 'riskLive' | 'compressed';

export interface RunResult {
  readonly round: number;
  readonly scenario: ScenarioId;
  readonly contender: ContenderName;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  readonly bytesPerResponse: number;
  /** Server process CPU (user + system) per request, µs. */
  readonly cpuUsPerRequest: number;
  /** The part of cpuUsPerRequest spent on the server's threads other than its main one (compiler, GC helpers). */
  readonly otherThreadsCpuUsPerRequest: number;
  /** Redis commands (INFO commandstats, whole server) per request; includes those run inside Lua scripts. */
  readonly redisCommandsPerRequest: number;
  /** Per command name (evalsha, get, set…), per request. */
  readonly redisCommandMix: Readonly<Record<string, number>>;
  readonly redisCpuUsPerRequest: number;
  /** Null where the contender exports no such counter. */
  readonly sqlPerRequest: number | null;
  readonly computationsPerRequest: number | null;
  readonly cacheHitsPerRequest: number | null;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
}

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface Cell {
  readonly scenario: ScenarioId;
  readonly contender: ContenderName;
  readonly rounds: number;
  readonly rps: number;
  readonly rpsMin: number;
  readonly rpsMax: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly cpuUsPerRequest: number;
  readonly otherThreadsCpuUsPerRequest: number;
  readonly redisCommandsPerRequest: number;
  readonly redisCpuUsPerRequest: number;
  readonly sqlPerRequest: number | null;
  readonly computationsPerRequest: number | null;
  readonly cacheHitsPerRequest: number | null;
  readonly bytesPerResponse: number;
  readonly failures: number;
}

export interface Target {
  readonly op: '>=' | '<=' | '<';
  readonly value: number;
}

export interface Ratio {
  readonly label: string;
  /** Median over rounds of the per-round ratio. */
  readonly value: number;
  readonly min: number;
  readonly max: number;
  readonly target: Target | null;
  readonly met: boolean | null;
}

export interface Summary {
  readonly cells: readonly Cell[];
  readonly ratios: readonly Ratio[];
  readonly invalidation: readonly (InvalidationResult & { readonly met: boolean })[];
  readonly peakRssMb: Readonly<Record<string, number>>;
  /** Null when the `cache` server did not run (only the desk scenario was selected). */
  readonly rssTarget: { readonly contender: string; readonly mb: number; readonly target: Target; readonly met: boolean } | null;
  /** Null when the desk scenario did not run. */
  readonly desk: DeskSummary | null;
  /** Null when the hostile scenario did not run. */
  readonly hostile: HostileOutcome | null;
  readonly checks: readonly Check[];
}

/** One contender of the desk scenario (two instances), measured window only unless said. */
export interface DeskRow {
  readonly contender: DeskContenderName;
  readonly readsPerSecond: number;
  readonly readP50Ms: number;
  readonly readP99Ms: number;
  readonly readP50MsByQuery: Readonly<Record<string, number>>;
  /** Reads answered from the cache / successful reads; null without a hit signal (nocache). */
  readonly hitRatio: number | null;
  /** Reads eligible for a hit (see desk-model.ts `eligibility`) and the share of them that hit. */
  readonly eligibleReads: number;
  readonly eligibleHitRatio: number | null;
  readonly writesPerSecond: number;
  readonly writeP50Ms: number;
  readonly writeP99Ms: number;
  readonly writeP99MsByOp: Readonly<Record<string, number>>;
  /** Oracle verdicts over every read of the run (warm-up included). */
  readonly judged: number;
  readonly stale: number;
  readonly unexplained: number;
  readonly untracked: number;
  readonly cpuPercent: readonly number[];
  readonly cpuUsPerRequest: number;
  readonly sqlPerRequest: number | null;
  /** Failed and dropped reads, failed and skipped writes. */
  readonly failures: number;
}

export interface DeskTarget {
  readonly label: string;
  readonly value: string;
  readonly bound: string;
  readonly met: boolean | null;
}

export interface DeskSummary {
  readonly settings: typeof DESK_SETTINGS;
  readonly books: number;
  readonly openPositions: number;
  readonly rows: readonly DeskRow[];
  readonly targets: readonly DeskTarget[];
  readonly seconds: number;
}

interface RatioSpec {
  readonly label: string;
  readonly scenario: ScenarioId;
  readonly metric: 'rps' | 'p99Ms' | 'bytesPerResponse';
  readonly numerator: ContenderName;
  readonly denominator: ContenderName;
  readonly denominatorScenario?: ScenarioId;
  readonly target?: Target;
}

const RATIOS: readonly RatioSpec[] = [
  { label: 'book hit rps: cache / response-cache', scenario: 'book', metric: 'rps', numerator: 'cache', denominator: 'response-cache', target: { op: '>=', value: 2 } },
  { label: 'book hit p99: cache / response-cache', scenario: 'book', metric: 'p99Ms', numerator: 'cache', denominator: 'response-cache', target: { op: '<=', value: 0.5 } },
  { label: 'book hit rps: cache / ceiling', scenario: 'book', metric: 'rps', numerator: 'cache', denominator: 'ceiling', target: { op: '>=', value: 0.5 } },
  { label: 'all-miss rps: cache / nocache', scenario: 'miss', metric: 'rps', numerator: 'cache-miss', denominator: 'nocache-miss', target: { op: '>=', value: 0.9 } },
  { label: 'trivial rps: cache / floor', scenario: 'trivial', metric: 'rps', numerator: 'cache-trivial', denominator: 'floor-trivial', target: { op: '>=', value: 0.95 } },
  { label: 'book hit rps: cache / floor', scenario: 'book', metric: 'rps', numerator: 'cache', denominator: 'floor' },
  { label: 'book hit rps: ceiling / floor', scenario: 'book', metric: 'rps', numerator: 'ceiling', denominator: 'floor' },
  { label: 'book hit rps: response-cache / floor', scenario: 'book', metric: 'rps', numerator: 'response-cache', denominator: 'floor' },
  { label: 'book hit rps: cache / nocache', scenario: 'book', metric: 'rps', numerator: 'cache', denominator: 'nocache' },
  { label: 'attribution hit rps: cache / response-cache', scenario: 'attribution', metric: 'rps', numerator: 'cache', denominator: 'response-cache' },
  { label: 'attribution hit p99: cache / response-cache', scenario: 'attribution', metric: 'p99Ms', numerator: 'cache', denominator: 'response-cache' },
  { label: 'riskLive hit rps: cache / response-cache', scenario: 'riskLive', metric: 'rps', numerator: 'cache', denominator: 'response-cache' },
  { label: 'riskLive hit p99: cache / response-cache', scenario: 'riskLive', metric: 'p99Ms', numerator: 'cache', denominator: 'response-cache' },
  { label: 'compressed book hit rps: br / identity', scenario: 'compressed', metric: 'rps', numerator: 'cache-br', denominator: 'cache', target: { op: '>=', value: 0.9 } },
  { label: 'book hit bytes on the wire: identity / br', scenario: 'compressed', metric: 'bytesPerResponse', numerator: 'cache', denominator: 'cache-br', target: { op: '>=', value: 5 } },
  { label: 'compressed book hit rps: cache / response-cache', scenario: 'compressed', metric: 'rps', numerator: 'cache-br', denominator: 'response-cache-br', target: { op: '>=', value: 2 } },
  { label: 'compressed book hit p99: cache / response-cache', scenario: 'compressed', metric: 'p99Ms', numerator: 'cache-br', denominator: 'response-cache-br' },
];

const INVALIDATION_TARGET: Target = { op: '<', value: 1 };
const RSS_TARGET: Target = { op: '<', value: 250 };
/** All-miss: a hit now and then (a portfolio asked again within its 1 s TTL) is tolerated below this. */
const MISS_HIT_TOLERANCE = 0.01;
/** Relative difference of SQL statements per request above which two all-miss runs did not do the same work. */
const SAME_WORK_TOLERANCE = 0.05;
const fixedSql = (n: number | null): string => (n === null ? '–' : n.toFixed(2));

function meets(value: number, target: Target): boolean {
  switch (target.op) {
    case '>=':
      return value >= target.value;
    case '<=':
      return value <= target.value;
    case '<':
      return value < target.value;
  }
}

function medianOrNull(values: readonly (number | null)[]): number | null {
  const present = values.filter((v): v is number => v !== null);
  return present.length === 0 ? null : median(present);
}

/**
 * A contender's figure in one round: the mean over its runs of the round (one, or the half-runs of
 * a paired scenario; their rps mean is their requests over their time, all being as long).
 */
function roundMean(runs: readonly RunResult[], round: number, scenario: ScenarioId, contender: ContenderName, metric: 'rps' | 'p99Ms' | 'sqlPerRequest' | 'bytesPerResponse'): number | null {
  const values = runs
    .filter((r) => r.round === round && r.scenario === scenario && r.contender === contender)
    .map((r) => r[metric])
    .filter((v): v is number => v !== null);
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

export function summarize(
  runs: readonly RunResult[],
  invalidation: readonly InvalidationResult[],
  peakRssMb: Readonly<Record<string, number>>,
  checks: readonly Check[],
  desk: DeskOutcome | null = null,
  hostile: HostileOutcome | null = null,
): Summary {
  const keys = [...new Set(runs.map((r) => `${r.scenario}|${r.contender}`))];
  const cells: Cell[] = keys.map((key) => {
    const rs = runs.filter((r) => `${r.scenario}|${r.contender}` === key);
    const first = rs[0]!;
    return {
      scenario: first.scenario,
      contender: first.contender,
      rounds: rs.length,
      rps: median(rs.map((r) => r.rps)),
      rpsMin: Math.min(...rs.map((r) => r.rps)),
      rpsMax: Math.max(...rs.map((r) => r.rps)),
      p50Ms: median(rs.map((r) => r.p50Ms)),
      p99Ms: median(rs.map((r) => r.p99Ms)),
      cpuUsPerRequest: median(rs.map((r) => r.cpuUsPerRequest)),
      otherThreadsCpuUsPerRequest: median(rs.map((r) => r.otherThreadsCpuUsPerRequest)),
      redisCommandsPerRequest: median(rs.map((r) => r.redisCommandsPerRequest)),
      redisCpuUsPerRequest: median(rs.map((r) => r.redisCpuUsPerRequest)),
      sqlPerRequest: medianOrNull(rs.map((r) => r.sqlPerRequest)),
      computationsPerRequest: medianOrNull(rs.map((r) => r.computationsPerRequest)),
      cacheHitsPerRequest: medianOrNull(rs.map((r) => r.cacheHitsPerRequest)),
      bytesPerResponse: median(rs.map((r) => r.bytesPerResponse)),
      failures: rs.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0),
    };
  });

  const ratios: Ratio[] = [];
  for (const spec of RATIOS) {
    const perRound: number[] = [];
    for (const round of new Set(runs.map((r) => r.round))) {
      const num = roundMean(runs, round, spec.scenario, spec.numerator, spec.metric);
      const den = roundMean(runs, round, spec.denominatorScenario ?? spec.scenario, spec.denominator, spec.metric);
      if (num !== null && den !== null && den > 0) perRound.push(num / den);
    }
    if (perRound.length === 0) continue;
    const value = median(perRound);
    ratios.push({
      label: spec.label,
      value,
      min: Math.min(...perRound),
      max: Math.max(...perRound),
      target: spec.target ?? null,
      met: spec.target ? meets(value, spec.target) : null,
    });
  }

  const allChecks = [...checks];
  const failures = runs.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0);
  if (runs.length > 0) allChecks.push({ name: 'no failed requests', ok: failures === 0, detail: `${failures} non-2xx, errors or timeouts over ${runs.length} runs` });
  const missRuns = runs.filter((r) => r.scenario === 'miss' && r.contender === 'cache-miss');
  if (missRuns.length > 0) {
    const worst = Math.max(...missRuns.map((r) => r.cacheHitsPerRequest ?? Number.NaN));
    allChecks.push({
      name: 'all-miss really misses',
      ok: worst < MISS_HIT_TOLERANCE,
      detail: `cache hits per request ≤ ${worst.toFixed(4)} in every round (from the gateway's /metrics)`,
    });
  }

  // Both all-miss contenders must do the same work in a round: a contender that served more than
  // the whole list of portfolios in a run met some of them again within the gateway's one-minute
  // memory of portfolios, and ran fewer statements per request than the other.
  const unequal: string[] = [];
  for (const round of [...new Set(runs.map((r) => r.round))]) {
    const contenders = [...new Set(runs.filter((r) => r.round === round && r.scenario === 'miss').map((r) => r.contender))];
    const sql = contenders.map((c) => roundMean(runs, round, 'miss', c, 'sqlPerRequest') ?? Number.NaN);
    if (sql.length === 2 && Math.abs(sql[0]! - sql[1]!) > SAME_WORK_TOLERANCE * Math.max(sql[0]!, sql[1]!)) {
      unequal.push(`round ${round}: ${contenders.map((c, i) => `${c} ${fixedSql(sql[i]!)}`).join(', ')} SQL/req`);
    }
  }
  if (missRuns.length > 0) {
    allChecks.push({
      name: 'all-miss contenders do the same work',
      ok: unequal.length === 0,
      detail: unequal.length === 0 ? `SQL statements per request within ${SAME_WORK_TOLERANCE * 100}% of each other in every round` : unequal.join('; '),
    });
  }

  const rssMb = peakRssMb.cache;
  const deskSummary = desk ? summarizeDesk(desk) : null;
  if (deskSummary) allChecks.push(...deskChecks(deskSummary, desk!));
  if (hostile) allChecks.push(...hostileChecks(hostile));
  return {
    cells,
    ratios,
    invalidation: invalidation.map((i) => ({ ...i, met: i.verified && meets(i.bumpMedianMs, INVALIDATION_TARGET) })),
    peakRssMb,
    rssTarget: rssMb === undefined ? null : { contender: 'cache', mb: rssMb, target: RSS_TARGET, met: meets(rssMb, RSS_TARGET) },
    desk: deskSummary,
    hostile,
    checks: allChecks,
  };
}

// ---------------------------------------------------------------------------------------------
// The desk scenario
// ---------------------------------------------------------------------------------------------

/** Gateway hit ratio on the reads eligible for a hit (desk-model.ts `eligibility`). */
const DESK_HIT_TARGET = 0.9;
/** Gateway write p99 ≤ this × (uncached gateway's write p99 + uncached book read p50). */
const DESK_WRITE_FACTOR = 1.5;

function deskRow(run: DeskRun): DeskRow {
  const { reads, writes, oracle } = run.load;
  const ratio = (n: number | null, of: number): number | null => (n === null || of === 0 ? null : n / of);
  return {
    contender: run.contender,
    readsPerSecond: reads.perSecond,
    readP50Ms: reads.p50Ms,
    readP99Ms: reads.p99Ms,
    readP50MsByQuery: Object.fromEntries(Object.entries(reads.byQuery).map(([q, st]) => [q, st.p50Ms])),
    hitRatio: ratio(reads.hits, reads.count),
    eligibleReads: reads.eligible,
    eligibleHitRatio: ratio(reads.eligibleHits, reads.eligible),
    writesPerSecond: writes.perSecond,
    writeP50Ms: writes.p50Ms,
    writeP99Ms: writes.p99Ms,
    writeP99MsByOp: Object.fromEntries(Object.entries(writes.byOp).map(([op, st]) => [op, st.p99Ms])),
    judged: oracle.judged,
    stale: oracle.stale,
    unexplained: oracle.unexplained,
    untracked: oracle.untracked,
    cpuPercent: run.cpuPercent,
    cpuUsPerRequest: run.cpuUsPerRequest,
    sqlPerRequest: run.sqlPerRequest,
    failures: reads.failed + reads.dropped + writes.failed + writes.skipped,
  };
}

function summarizeDesk(desk: DeskOutcome): DeskSummary {
  const rows = desk.runs.map(deskRow);
  const cache = rows.find((r) => r.contender === 'cache');
  const nocache = rows.find((r) => r.contender === 'nocache');
  const targets: DeskTarget[] = [];
  if (cache) {
    targets.push({
      label: 'desk: stale reads of the gateway (two instances)',
      value: `${cache.stale} (${cache.unexplained} unexplained) of ${INT.format(cache.judged)}`,
      bound: '0',
      met: cache.stale === 0 && cache.unexplained === 0,
    });
    targets.push({
      label: 'desk: gateway hit ratio on the reads eligible for a hit',
      value: cache.eligibleHitRatio === null ? '–' : `${(cache.eligibleHitRatio * 100).toFixed(1)}% of ${INT.format(cache.eligibleReads)}`,
      bound: `≥ ${DESK_HIT_TARGET * 100}%`,
      met: cache.eligibleHitRatio !== null && cache.eligibleHitRatio >= DESK_HIT_TARGET,
    });
  }
  if (cache && nocache) {
    const book = nocache.readP50MsByQuery.book ?? Number.NaN;
    const bound = DESK_WRITE_FACTOR * (nocache.writeP99Ms + book);
    targets.push({
      label: 'desk: gateway write p99 ≤ 1.5 × (uncached write p99 + uncached book p50)',
      value: `${cache.writeP99Ms.toFixed(1)} ms`,
      bound: `≤ ${DESK_WRITE_FACTOR} × (${nocache.writeP99Ms.toFixed(1)} + ${book.toFixed(1)}) = ${bound.toFixed(1)} ms`,
      met: cache.writeP99Ms <= bound,
    });
  }
  return { settings: desk.settings, books: desk.books, openPositions: desk.openPositions, rows, targets, seconds: desk.seconds };
}

function deskChecks(summary: DeskSummary, desk: DeskOutcome): Check[] {
  const checks: Check[] = summary.targets.map((t) => ({ name: t.label, ok: t.met === true, detail: `${t.value} (target ${t.bound})` }));
  const nocache = summary.rows.find((r) => r.contender === 'nocache');
  if (nocache) {
    // The uncached gateway reads the database on every request: any stale or unexplained verdict
    // there would be the oracle's error, not the gateway's.
    checks.push({
      name: 'desk: the oracle explains every read of the uncached gateway',
      ok: nocache.stale === 0 && nocache.unexplained === 0 && nocache.judged > 0,
      detail: `${nocache.stale} stale, ${nocache.unexplained} unexplained of ${INT.format(nocache.judged)} judged`,
    });
  }
  const probes = desk.runs.flatMap((r) => r.load.probe.problems.map((p) => `${r.contender}: ${p}`));
  checks.push({
    name: 'desk: probes answer as the oracle predicts',
    ok: probes.length === 0,
    detail: probes.length === 0 ? `${desk.runs.reduce((n, r) => n + r.load.probe.reads, 0)} quiescent reads before the load, all version 0` : probes.slice(0, 4).join('; '),
  });
  const failed = desk.runs.map((r) => ({ name: r.contender, row: deskRow(r), untracked: r.load.oracle.untrackedBooks }));
  checks.push({
    name: 'desk: no failed, dropped or untracked requests',
    ok: failed.every((f) => f.row.failures === 0 && f.untracked.length === 0),
    detail: failed.map((f) => `${f.name} ${f.row.failures}${f.untracked.length > 0 ? ` (untracked: ${f.untracked.slice(0, 2).join('; ')})` : ''}`).join(', '),
  });
  return checks;
}

function formatDesk(desk: DeskSummary): string[] {
  const s = desk.settings;
  const pct = (n: number | null): string => (n === null ? '–' : `${(n * 100).toFixed(1)}%`);
  const mix = (m: Readonly<Record<string, number>>): string => Object.entries(m).map(([k, v]) => `${k} ${(v * 100).toFixed(0)}%`).join(', ');
  const out: string[] = [];
  out.push(
    '',
    `Desk (${desk.seconds.toFixed(0)} s): two instances per contender, ${desk.books} books (${desk.openPositions} open positions), reads by Zipf ${s.zipfExponent} ` +
      `(BENCH_DESK_01 hottest), ${s.readsPerSecond} reads/s offered (${mix(s.queryMix)}), ${s.writesPerSecond} writes/s (${mix(s.writeMix)}); ` +
      `${s.warmupSeconds} s warm-up, ${s.durationSeconds} s measured, one run per contender`,
    '',
  );
  out.push(
    table(
      ['contender', 'reads/s', 'p50 ms', 'p99 ms', 'book p50', 'riskLive p50', 'attribution p50', 'hit ratio', 'eligible', 'eligible hits'],
      desk.rows.map((r) => [
        r.contender,
        num(r.readsPerSecond, 1),
        num(r.readP50Ms, 2),
        num(r.readP99Ms, 2),
        num(r.readP50MsByQuery.book ?? null, 2),
        num(r.readP50MsByQuery.riskLive ?? null, 2),
        num(r.readP50MsByQuery.attribution ?? null, 2),
        pct(r.hitRatio),
        INT.format(r.eligibleReads),
        pct(r.eligibleHitRatio),
      ]),
    ),
  );
  out.push('');
  out.push(
    table(
      ['contender', 'writes/s', 'p50 ms', 'p99 ms', 'mark p99', 'open p99', 'close p99', 'stale reads', 'unexplained', 'judged', 'CPU % (a + b)', 'SQL/req', 'failed'],
      desk.rows.map((r) => [
        r.contender,
        num(r.writesPerSecond, 1),
        num(r.writeP50Ms, 1),
        num(r.writeP99Ms, 1),
        num(r.writeP99MsByOp.markToMarket ?? null, 1),
        num(r.writeP99MsByOp.openPosition ?? null, 1),
        num(r.writeP99MsByOp.closePosition ?? null, 1),
        INT.format(r.stale),
        INT.format(r.unexplained),
        INT.format(r.judged),
        r.cpuPercent.map((p) => p.toFixed(0)).join(' + '),
        num(r.sqlPerRequest, 2),
        String(r.failures),
      ]),
    ),
  );
  const reference = desk.rows.find((r) => r.contender === 'response-cache');
  if (reference) out.push(`the reference cannot invalidate: ${INT.format(reference.stale)} stale reads of ${INT.format(reference.judged)} judged (reported, no target)`);
  out.push('', 'Desk targets', '');
  out.push(table(['target', 'value', 'bound', ''], desk.targets.map((t) => [t.label, t.value, t.bound, mark(t.met)])));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------------------------

const INT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const num = (n: number | null, digits: number): string => (n === null || !Number.isFinite(n) ? '–' : n.toFixed(digits));
const mark = (met: boolean | null): string => (met === null ? '' : met ? '✓' : '✗');
const targetText = (t: Target | null, unit = '×'): string => (t ? `${t.op === '>=' ? '≥' : t.op === '<=' ? '≤' : '<'} ${t.value}${unit}` : 'reported');

function table(header: readonly string[], rows: readonly (readonly string[])[], leftColumns = 1): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i < leftColumns ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function formatReport(summary: Summary, scenarios: readonly { id: ScenarioId; title: string; contenders: readonly ContenderName[] }[]): string {
  const rows: string[][] = [];
  for (const scenario of scenarios) {
    for (const contender of scenario.contenders) {
      const c = summary.cells.find((x) => x.scenario === scenario.id && x.contender === contender);
      if (!c) continue;
      rows.push([
        scenario.title,
        contender,
        INT.format(c.rps),
        `${INT.format(c.rpsMin)}–${INT.format(c.rpsMax)}`,
        num(c.p50Ms, 2),
        num(c.p99Ms, 2),
        INT.format(c.cpuUsPerRequest),
        num(c.redisCommandsPerRequest, 2),
        num(c.sqlPerRequest, 2),
        num(c.computationsPerRequest, 3),
        num(c.bytesPerResponse / 1024, 1),
        String(c.failures),
      ]);
    }
  }
  const rounds = Math.max(0, ...summary.cells.map((c) => c.rounds));
  const out: string[] = [];
  if (summary.cells.length === 0) {
    // Only the desk and/or hostile scenarios ran.
    if (summary.desk) out.push(...formatDesk(summary.desk));
    if (summary.hostile) out.push(...formatHostile(summary.hostile));
    out.push('', 'Checks', '');
    for (const c of summary.checks) out.push(`${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}`);
    out.push('');
    return out.join('\n');
  }
  out.push('', `Medians over ${rounds} round(s)`, '');
  out.push(
    table(
      ['scenario', 'contender', 'rps', 'rps range', 'p50 ms', 'p99 ms', 'CPU µs/req', 'Redis cmd/req', 'SQL/req', 'comput/req', 'KB/resp', 'failed'],
      rows,
      2,
    ),
  );
  out.push('', 'Ratios (median of the per-round ratios; range over rounds)', '');
  out.push(
    table(
      ['ratio', 'value', 'range', 'target', ''],
      summary.ratios.map((r) => [r.label, `${r.value.toFixed(2)}×`, `${r.min.toFixed(2)}–${r.max.toFixed(2)}`, targetText(r.target), mark(r.met)]),
    ),
  );
  out.push('', 'Invalidation (bump of one fact, median of 50)', '');
  const inv = summary.invalidation;
  const small = inv.find((i) => i.entries === Math.min(...inv.map((x) => x.entries)));
  const large = inv.find((i) => i.entries === Math.max(...inv.map((x) => x.entries)));
  out.push(
    table(
      ['entries under the fact', 'bump median ms', 'p90 ms', 'target', ''],
      inv.map((i) => [INT.format(i.entries), i.bumpMedianMs.toFixed(3), i.bumpP90Ms.toFixed(3), targetText(INVALIDATION_TARGET, ' ms'), mark(i.met)]),
    ),
  );
  if (small && large && small !== large) {
    out.push(`cost with ${INT.format(large.entries)} entries / with ${INT.format(small.entries)}: ${(large.bumpMedianMs / small.bumpMedianMs).toFixed(2)}× (independent of the number of entries)`);
  }
  out.push('', 'Peak RSS (VmHWM) of each server', '');
  const rss = summary.rssTarget;
  out.push(
    table(
      ['server', 'MB', 'target', ''],
      Object.entries(summary.peakRssMb).map(([name, mb]) =>
        name === rss?.contender ? [name, mb.toFixed(0), targetText(rss.target, ' MB'), mark(rss.met)] : [name, mb.toFixed(0), '', ''],
      ),
    ),
  );
  if (summary.desk) out.push(...formatDesk(summary.desk));
  if (summary.hostile) out.push(...formatHostile(summary.hostile));
  out.push('', 'Checks', '');
  for (const c of summary.checks) out.push(`${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}`);
  out.push('');
  return out.join('\n');
}
