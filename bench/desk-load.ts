// The desk scenario's load generator, in its own process like load.ts: an open-loop schedule of
// reads (Poisson arrivals, books by a Zipf law, book / riskLive / attribution over both
// instances) and a steady rate of writes (mark, open, close, one at a time per book) against two
// instances of one contender. It keeps the model of every book, judges every read with the
// oracle (desk-model.ts) and prints the result as one JSON line.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { percentile } from './common';
import {
  applyWrite, BookVersions, DESK_QUERIES, DESK_WRITE_OPS, eligibility, judge, observe, planWrite, rng, seedOf,
  type DeskBook, type DeskInstrument, type DeskQuery, type DeskWriteOp, type ReadRecord, type WriteBounds, type WriteMix,
} from './desk-model';
import { attributionBody, bookBody, mutationBody, riskLiveBody } from './documents';

/** How a contender says an answer came from its cache. */
export type HitSignal = 'extensions' | 'age' | 'none';

export interface DeskLoadSpec {
  /** GraphQL URLs of the two instances. */
  readonly instances: readonly string[];
  readonly viewerToken: string;
  /** A MANAGER token (writes). */
  readonly managerToken: string;
  readonly hitSignal: HitSignal;
  readonly seed: number;
  readonly readsPerSecond: number;
  readonly writesPerSecond: number;
  readonly warmupSeconds: number;
  readonly durationSeconds: number;
  /** Book k (1-based) is read with probability ∝ 1 / k^zipfExponent. */
  readonly zipfExponent: number;
  readonly queryMix: Readonly<Record<DeskQuery, number>>;
  readonly writeMix: WriteMix;
  readonly bounds: WriteBounds;
  /** Reads due while this many are in flight are dropped (counted): the offered load stays bounded. */
  readonly maxInFlightReads: number;
  readonly books: readonly DeskBook[];
  readonly instruments: readonly DeskInstrument[];
  /** Books probed before the load (every query on every instance, no write in flight). */
  readonly probeBooks: number;
}

/** Parent → child: the spec. Child → parent: `warm` when the measured window opens, `measured` when it closes. */
export type DeskLoadMessage = { readonly type: 'spec'; readonly spec: DeskLoadSpec } | { readonly type: 'warm' } | { readonly type: 'measured' };

export interface LatencyStats {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface DeskLoadResult {
  readonly probe: { readonly reads: number; readonly problems: readonly string[] };
  /** Reads that started in the measured window. */
  readonly reads: LatencyStats & {
    readonly perSecond: number;
    readonly failed: number;
    /** Due while maxInFlightReads were in flight: not sent. */
    readonly dropped: number;
    /** Null when the contender gives no hit signal. */
    readonly hits: number | null;
    readonly eligible: number;
    readonly eligibleHits: number | null;
    readonly byQuery: Readonly<Record<DeskQuery, LatencyStats & { readonly hits: number | null }>>;
  };
  /** Writes sent in the measured window; latency from sending to the answer received. */
  readonly writes: LatencyStats & {
    readonly perSecond: number;
    readonly failed: number;
    /** Not sent: their book was no longer tracked after a failure. */
    readonly skipped: number;
    /** Wait behind the previous write of the same book, from the time it was due to its sending. */
    readonly queuedP99Ms: number;
    readonly byOp: Readonly<Record<DeskWriteOp, LatencyStats>>;
    /** The slowest measured writes: what the p99 is made of. */
    readonly slowest: readonly { readonly op: DeskWriteOp; readonly book: string; readonly atMs: number; readonly latencyMs: number }[];
  };
  /** Every read of the run (warm-up included), judged against the versions of its book. */
  readonly oracle: {
    readonly judged: number;
    readonly fresh: number;
    readonly stale: number;
    readonly unexplained: number;
    readonly untracked: number;
    readonly examples: readonly string[];
    readonly untrackedBooks: readonly string[];
  };
  readonly errors: readonly string[];
}

interface ReadEvent { readonly kind: 'read'; readonly atMs: number; readonly book: number; readonly query: DeskQuery; readonly instance: number }
interface WriteEvent { readonly kind: 'write'; readonly atMs: number; readonly index: number; readonly book: number; readonly instance: number }
type Event = ReadEvent | WriteEvent;

interface Answer { readonly status: number; readonly age: boolean; readonly json: { data?: unknown; errors?: unknown[]; extensions?: { cache?: { status?: string }[] } } | null; readonly error: string | null }

const READ_BODIES: Readonly<Record<DeskQuery, (code: string) => string>> = { book: bookBody, riskLive: riskLiveBody, attribution: attributionBody };

/** The same schedule for every contender: reads and writes, their books, queries and instances. */
function schedule(spec: DeskLoadSpec): Event[] {
  const totalMs = (spec.warmupSeconds + spec.durationSeconds) * 1000;
  const draw = rng(seedOf(spec.seed, 0, 0));
  const weights = spec.books.map((_, k) => 1 / (k + 1) ** spec.zipfExponent);
  const total = weights.reduce((a, b) => a + b, 0);
  const cdf: number[] = [];
  weights.reduce((acc, w) => (cdf.push((acc + w) / total), acc + w), 0);
  const mixTotal = DESK_QUERIES.reduce((n, q) => n + spec.queryMix[q], 0);
  const events: Event[] = [];
  for (let at = 0; ; ) {
    at += (-Math.log(1 - draw()) / spec.readsPerSecond) * 1000;
    if (at >= totalMs) break;
    const u = draw();
    const book = Math.min(cdf.findIndex((c) => u < c), spec.books.length - 1);
    let r = draw() * mixTotal;
    const query = DESK_QUERIES.find((q) => (r -= spec.queryMix[q]) < 0) ?? 'book';
    events.push({ kind: 'read', atMs: at, book: book < 0 ? spec.books.length - 1 : book, query, instance: draw() < 0.5 ? 0 : 1 });
  }
  const writes = Math.floor((totalMs / 1000) * spec.writesPerSecond);
  for (let index = 0; index < writes; index++) {
    events.push({ kind: 'write', atMs: ((index + 0.5) / spec.writesPerSecond) * 1000, index, book: Math.floor(draw() * spec.books.length), instance: index % 2 });
  }
  return events.sort((a, b) => a.atMs - b.atMs);
}

function stats(latencies: readonly number[]): LatencyStats {
  const sorted = Float64Array.from(latencies).sort();
  return { count: sorted.length, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), maxMs: sorted.length > 0 ? sorted[sorted.length - 1]! : Number.NaN };
}

function post(agent: http.Agent, url: string, token: string, body: string): Promise<Answer> {
  return new Promise((resolve) => {
    const req = http.request(url, { method: 'POST', agent, timeout: 30_000, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        let json: Answer['json'] = null;
        try {
          json = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Answer['json'];
        } catch {
          // not JSON: a failure below
        }
        resolve({ status: res.statusCode ?? 0, age: res.headers.age !== undefined, json, error: null });
      });
      res.on('error', (error) => resolve({ status: 0, age: false, json: null, error: error.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (error) => resolve({ status: 0, age: false, json: null, error: error.message }));
    req.end(body);
  });
}

const failure = (answer: Answer): string | null => {
  if (answer.error !== null) return answer.error;
  if (answer.status !== 200) return `HTTP ${answer.status}`;
  if (!answer.json) return 'not JSON';
  if (answer.json.errors) return `errors: ${JSON.stringify(answer.json.errors).slice(0, 300)}`;
  if (!answer.json.data) return 'no data';
  return null;
};

function isHit(signal: HitSignal, answer: Answer): boolean | null {
  switch (signal) {
    case 'extensions': {
      const reports = answer.json?.extensions?.cache;
      return Array.isArray(reports) && reports.length > 0 && reports.every((r) => r.status === 'hit');
    }
    case 'age':
      return answer.age;
    case 'none':
      return null;
  }
}

interface ReadDone extends ReadRecord {
  readonly measured: boolean;
  readonly hit: boolean | null;
  readonly observed: Partial<Record<string, string>> | null;
}

interface WriteDone {
  readonly op: DeskWriteOp;
  readonly book: number;
  readonly sentMs: number;
  readonly measured: boolean;
  readonly queuedMs: number;
  readonly latencyMs: number;
  readonly ok: boolean;
}

async function run(spec: DeskLoadSpec, notify: (message: DeskLoadMessage) => void): Promise<DeskLoadResult> {
  const agents = spec.instances.map(() => new http.Agent({ keepAlive: true, maxSockets: spec.maxInFlightReads + 8 }));
  const books: DeskBook[] = spec.books.map((b) => ({ code: b.code, open: b.open.map((p) => ({ ...p })), closed: [...b.closed], prices: { ...b.prices } }));
  const versions = books.map((b) => new BookVersions(b));
  const errors: string[] = [];
  const noteError = (what: string): void => void (errors.length < 20 && errors.push(what));

  // Probe: every query of the first books on each instance, nothing else running: the answers must
  // be version 0 (the oracle's predictions match what the contender computes).
  const problems: string[] = [];
  let probeReads = 0;
  for (let book = 0; book < Math.min(spec.probeBooks, books.length); book++) {
    for (const query of DESK_QUERIES) {
      for (const [instance, url] of spec.instances.entries()) {
        const answer = await post(agents[instance]!, url, spec.viewerToken, READ_BODIES[query](books[book]!.code));
        probeReads += 1;
        const failed = failure(answer);
        const observed = failed === null ? observe(query, answer.json?.data) : null;
        const verdict = observed ? judge(versions[book]!, 0, 0, observed) : null;
        if (failed !== null || !observed || verdict?.kind !== 'fresh') {
          problems.push(`${books[book]!.code} ${query} on instance ${instance}: ${failed ?? (observed ? verdict?.kind : 'missing fields')}`);
        }
      }
    }
  }

  const events = schedule(spec);
  const warmMs = spec.warmupSeconds * 1000;
  const endMs = (spec.warmupSeconds + spec.durationSeconds) * 1000;
  const reads: ReadDone[] = [];
  const writes: WriteDone[] = [];
  let dropped = 0;
  let skipped = 0;
  let inFlight = 0;
  const pending = new Set<Promise<void>>();
  const chains = books.map(() => Promise.resolve());
  const origin = performance.now();
  const now = (): number => performance.now() - origin;

  const read = async (e: ReadEvent): Promise<void> => {
    const code = books[e.book]!.code;
    const startMs = now();
    const answer = await post(agents[e.instance]!, spec.instances[e.instance]!, spec.viewerToken, READ_BODIES[e.query](code));
    const endMsRead = now();
    const failed = failure(answer);
    if (failed !== null) noteError(`${e.query} ${code}: ${failed}`);
    const observed = failed === null ? observe(e.query, answer.json?.data) : null;
    reads.push({
      book: e.book,
      query: e.query,
      startMs,
      endMs: endMsRead,
      ok: failed === null && observed !== null,
      measured: e.atMs >= warmMs,
      hit: failed === null ? isHit(spec.hitSignal, answer) : null,
      observed,
    });
  };

  const write = async (e: WriteEvent): Promise<void> => {
    const v = versions[e.book]!;
    const book = books[e.book]!;
    if (v.untrackedFromMs !== null) {
      skipped += 1;
      return;
    }
    const plan = planWrite(book, spec.instruments, spec.writeMix, spec.bounds, rng(seedOf(spec.seed, 1, e.index)));
    const sentMs = now();
    const answer = await post(agents[e.instance]!, spec.instances[e.instance]!, spec.managerToken, mutationBody(plan.op, plan.input));
    const ackMs = now();
    const failed = failure(answer);
    const misfit = failed === null ? applyWrite(book, plan.op, answer.json?.data) : null;
    if (failed !== null || misfit !== null) {
      noteError(`${plan.op} ${book.code}: ${failed ?? misfit}`);
      v.untrack(sentMs, failed ?? misfit ?? '?');
    } else {
      v.acknowledge(book, sentMs, ackMs);
    }
    writes.push({ op: plan.op, book: e.book, sentMs, measured: e.atMs >= warmMs, queuedMs: Math.max(0, sentMs - e.atMs), latencyMs: ackMs - sentMs, ok: failed === null });
  };

  const track = (promise: Promise<void>): void => {
    pending.add(promise);
    void promise.finally(() => pending.delete(promise));
  };

  const dispatch = (e: Event): void => {
    if (e.kind === 'read') {
      if (inFlight >= spec.maxInFlightReads) {
        if (e.atMs >= warmMs) dropped += 1;
        return;
      }
      inFlight += 1;
      track(read(e).finally(() => void (inFlight -= 1)));
    } else {
      const next = chains[e.book]!.then(() => write(e));
      chains[e.book] = next;
      track(next);
    }
  };

  await new Promise<void>((resolve) => {
    let i = 0;
    let warmSent = false;
    const tick = (): void => {
      const t = now();
      if (!warmSent && t >= warmMs) {
        warmSent = true;
        notify({ type: 'warm' });
      }
      while (i < events.length && events[i]!.atMs <= t) dispatch(events[i++]!);
      if (t >= endMs) {
        notify({ type: 'measured' });
        resolve();
        return;
      }
      const nextAt = Math.min(i < events.length ? events[i]!.atMs : endMs, warmSent ? endMs : warmMs, endMs);
      setTimeout(tick, Math.max(0, nextAt - now()));
    };
    tick();
  });
  while (pending.size > 0) await Promise.all([...pending]);
  for (const agent of agents) agent.destroy();

  // The oracle, on every read of the run.
  const oracle = { judged: 0, fresh: 0, stale: 0, unexplained: 0, untracked: 0 };
  const examples: string[] = [];
  for (const r of reads) {
    if (!r.ok || !r.observed) continue;
    const verdict = judge(versions[r.book]!, r.startMs, r.endMs, r.observed);
    oracle.judged += 1;
    oracle[verdict.kind] += 1;
    if ((verdict.kind === 'stale' || verdict.kind === 'unexplained') && examples.length < 8) {
      const v = versions[r.book]!;
      examples.push(
        `${books[r.book]!.code} ${r.query} at ${r.startMs.toFixed(0)} ms: ${verdict.kind} ${verdict.observable}` +
          (verdict.kind === 'stale' ? `, ${verdict.behind} version(s) behind, ${verdict.sinceAckMs.toFixed(1)} ms after the acknowledgement` : '') +
          ` (version ${v.acknowledgedAt(r.startMs)} acknowledged, ${v.latest} in all)`,
      );
    }
  }
  const eligible = eligibility(reads, versions);
  const measured = reads.filter((r) => r.measured);
  const okMeasured = measured.filter((r) => r.ok);
  const hitCount = (rs: readonly ReadDone[]): number | null => (spec.hitSignal === 'none' ? null : rs.filter((r) => r.hit === true).length);
  const eligibleMeasured = reads.filter((r, i) => r.measured && r.ok && eligible[i]);
  const measuredWrites = writes.filter((w) => w.measured);
  const byQuery = Object.fromEntries(
    DESK_QUERIES.map((q) => {
      const rs = okMeasured.filter((r) => r.query === q);
      return [q, { ...stats(rs.map((r) => r.endMs - r.startMs)), hits: hitCount(rs) }];
    }),
  ) as Record<DeskQuery, LatencyStats & { hits: number | null }>;
  const byOp = Object.fromEntries(DESK_WRITE_OPS.map((op) => [op, stats(measuredWrites.filter((w) => w.ok && w.op === op).map((w) => w.latencyMs))])) as Record<DeskWriteOp, LatencyStats>;
  return {
    probe: { reads: probeReads, problems },
    reads: {
      ...stats(okMeasured.map((r) => r.endMs - r.startMs)),
      perSecond: measured.length / spec.durationSeconds,
      failed: measured.length - okMeasured.length,
      dropped,
      hits: hitCount(okMeasured),
      eligible: eligibleMeasured.length,
      eligibleHits: hitCount(eligibleMeasured),
      byQuery,
    },
    writes: {
      ...stats(measuredWrites.filter((w) => w.ok).map((w) => w.latencyMs)),
      perSecond: measuredWrites.length / spec.durationSeconds,
      failed: measuredWrites.filter((w) => !w.ok).length,
      skipped,
      queuedP99Ms: stats(measuredWrites.map((w) => w.queuedMs)).p99Ms,
      byOp,
      slowest: [...measuredWrites]
        .sort((a, b) => b.latencyMs - a.latencyMs)
        .slice(0, 8)
        .map((w) => ({ op: w.op, book: books[w.book]!.code, atMs: Math.round(w.sentMs), latencyMs: Math.round(w.latencyMs * 10) / 10 })),
    },
    oracle: {
      ...oracle,
      examples,
      untrackedBooks: versions.flatMap((v, i) => (v.untrackedFromMs === null ? [] : [`${books[i]!.code}: ${v.untrackedReason ?? '?'}`])),
    },
    errors,
  };
}

function waitForSpec(): Promise<DeskLoadSpec> {
  return new Promise((resolve) => {
    const onMessage = (message: DeskLoadMessage): void => {
      if (message.type !== 'spec') return;
      process.off('message', onMessage);
      resolve(message.spec);
    };
    process.on('message', onMessage);
  });
}

async function main(): Promise<void> {
  if (!process.send) throw new Error('desk-load.js is started by the benchmark runner (it needs an IPC channel)');
  const orphaned = (): never => process.exit(1);
  process.on('disconnect', orphaned);
  process.on('message', (m: { type?: string }) => {
    if (m.type === 'stop') orphaned();
  });
  const spec = await waitForSpec();
  const result = await run(spec, (message) => process.send?.(message));
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.off('disconnect', orphaned);
  process.disconnect();
}

main().catch((error: unknown) => {
  process.stderr.write(`desk-load: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
