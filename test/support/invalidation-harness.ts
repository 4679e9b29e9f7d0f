import { Redis } from 'ioredis';
import {
  AttributionDocument, BookDocument, ClosePositionDocument, OpenPositionDocument, RiskLiveDocument,
  type ClosePositionInput, type OpenPositionInput,
} from '../../client/generated/graphql';
import type { Db } from '../../src/data/db';
import { dec, type Decimal } from '../../src/domain/decimal';
import { seedFund, type SeededFund } from '../e2e/harness';
import { fixedClock } from './clock';
import { testDb } from './db';
import { DEMO_NOW } from './demo';
import { actor } from './factories';
import { startTestGateway, type GraphQLResponse, type TestGateway } from './gateway';
import { startRedisServer, type RedisServer } from './redis-server';
import { startTcpProxy, type TcpProxy } from './tcp-proxy';

/**
 * The harness of the invalidation-under-failure suites (ARCHITECTURE.md, invariant 1: "after a
 * mutation returns, no read on any instance returns data from before it").
 *
 * A scenario: one private redis-server, one freshly seeded fund, two gateway instances A and B in
 * this process, each with its own knex pool (two processes, as far as Postgres can tell), either
 * reaching Redis directly or through a TCP proxy the test owns. A writer makes a fixed sequence of
 * acknowledged writes on the fund; readers on both instances read `book`, `riskLive` and
 * `attribution` continually. Every request is recorded (start, end, what it saw, cache status), and
 * at the end the oracle below judges every read against every acknowledgement.
 *
 * The write sequence makes every state of the book distinct by its open positions alone:
 *
 *   #1 open P1            open {P1}        closed 0
 *   #2 open P2            open {P1,P2}     closed 0
 *   #3 close P1           open {P2}        closed 1
 *   #4 open P3            open {P2,P3}     closed 1
 *   #5 close P2           open {P3}        closed 2   …
 *
 * (each P is a 1,000,000 BRL IBOV_FUT long, closed at its entry price, so each close realizes
 * exactly −2 × its entry cost). What a read shows is split into the parts its resolver reads
 * separately from the database, each mapped to the set of versions (number of writes applied) it
 * is consistent with:
 *
 *   book         open positions (→ exactly one version) and closedToday (→ the versions with that
 *                many closes)
 *   riskLive     open positions in the stress contributions (→ one version; gross exposure must
 *                agree) and cumulative P&L in the drawdown (→ number of closes)
 *   attribution  the writer's positions that have P&L in the month (→ number of closes; an open
 *                changes nothing attribution shows, so it is judged at that resolution)
 *
 * A read is STALE when it started after the acknowledgement of write #n and one of its parts is
 * consistent only with versions before n. Each part is judged on its own, so a read computed
 * while a write committed (its queries on both sides of the commit) is never mistaken for stale,
 * and a stale read is always caught by its open positions. A part consistent with no version, or
 * only with versions whose write had not even started when the read ended, is reported too: the
 * oracle would be wrong, or the data corrupt.
 */

export type InstanceName = 'A' | 'B';
export type Field = 'book' | 'riskLive' | 'attribution';
const FIELDS: readonly Field[] = ['book', 'riskLive', 'attribution'];

export const CACHE_ENV = { CACHE_TIMEOUT_MS: '100', CACHE_FAILURE_THRESHOLD: '3', CACHE_OPEN_MS: '500' } as const;

const POSITION = { ticker: 'IBOV_FUT', direction: 'LONG', notionalBrl: '1000000', entryPrice: '130000', fxRate: '5.1' } as const;

export interface Instance {
  readonly name: InstanceName;
  readonly db: Db;
  readonly gw: TestGateway;
  /** The proxy this instance reaches Redis through, or null when it connects directly. */
  readonly proxy: TcpProxy | null;
  stopped: boolean;
}

/** What a read showed, reduced to what the oracle needs. */
export type View =
  | { readonly kind: 'book'; readonly openIds: readonly string[]; readonly closedToday: number }
  | { readonly kind: 'riskLive'; readonly openIds: readonly string[]; readonly grossBrl: string; readonly cumulativePnlBrl: string }
  | { readonly kind: 'attribution'; readonly pnlIds: readonly string[] };

export interface ReadRecord {
  readonly instance: InstanceName;
  readonly field: Field;
  /** performance.now() just before the request was sent / once its body was read. */
  readonly start: number;
  readonly end: number;
  /** extensions.cache status of the field: hit, miss or bypass (undefined when absent). */
  readonly status: string | undefined;
  readonly view: View | null;
  /** Set when the request failed (transport error, HTTP status, GraphQL errors, no data). */
  readonly failure: string | null;
}

export interface WriteRecord {
  /** The version this write produces (its position in the sequence, from 1). */
  readonly version: number;
  readonly kind: 'open' | 'close';
  readonly via: InstanceName;
  readonly idempotencyKey: string;
  readonly input: OpenPositionInput | ClosePositionInput;
  readonly start: number;
  /** When its response (without errors) had been read; null while in flight or when it failed. */
  ack: number | null;
  positionId: string | null;
  /** transactionCostBrl of the opened position (open) or realizedPnlBrl (close). */
  amount: string | null;
  /** A retry of an acknowledged write with its idempotency key (version unchanged). */
  readonly replay: boolean;
}

export interface ScenarioOptions {
  readonly name: string;
  /** Instance A reaches Redis only through a proxy of the test's own. */
  readonly proxyA?: boolean;
  /** Instance B reaches Redis only through a proxy of the test's own. */
  readonly proxyB?: boolean;
  /** Delay of each reply chunk in the proxies, ms. */
  readonly replyLatencyMs?: number;
  /** Concurrent reader loops per instance (default 2). */
  readonly readersPerInstance?: number;
  /** Pause between two reads of one loop, ms (default 5). */
  readonly readPauseMs?: number;
}

interface Baseline {
  readonly closedToday: number;
  readonly grossBrl: Decimal;
  readonly cumulativePnlBrl: Decimal;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Blocks the whole process (both gateways, the proxies, the test) for `ms`: a busy-wait. */
export function busyWait(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // Spin: nothing else in this process runs meanwhile, neither timers nor I/O callbacks.
  }
}

function statusOf(response: GraphQLResponse<unknown>): string | undefined {
  const reports = response.extensions?.cache;
  if (!Array.isArray(reports)) return undefined;
  const first = reports[0] as { status?: unknown } | undefined;
  return typeof first?.status === 'string' ? first.status : undefined;
}

function failureOf(response: GraphQLResponse<unknown>): string | null {
  if (response.status !== 200) return `HTTP ${response.status}: ${JSON.stringify(response.errors ?? null).slice(0, 300)}`;
  if (response.errors?.length) return `errors: ${JSON.stringify(response.errors).slice(0, 300)}`;
  if (response.data == null) return 'no data';
  return null;
}

/** Parses one Prometheus sample without labels, e.g. `pms_cache_store_circuit_open 0`. */
export function metricValue(text: string, name: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? null : Number(line.slice(name.length + 1));
}

export class Scenario {
  readonly t0 = performance.now();
  readonly reads: ReadRecord[] = [];
  readonly writes: WriteRecord[] = [];
  /** Requests that failed outside the readers (writes, probes), as messages. */
  readonly failures: string[] = [];
  private readonly readerLoops = new Map<InstanceName, { stop: boolean; loops: Promise<void>[] }>();
  private baseline: Baseline | null = null;
  private openSeq: string[] = [];
  private readonly token: string;

  private constructor(
    readonly options: ScenarioOptions,
    readonly redis: RedisServer,
    readonly fund: SeededFund,
    readonly a: Instance,
    readonly b: Instance,
    private readonly owned: { proxies: TcpProxy[]; dbs: Db[] },
  ) {
    this.token = a.gw.token(actor('ADMIN', '*', 'invalidation.writer'));
  }

  /**
   * Starts Redis, seeds a fund (with `seedDb`), starts A and B (each with its own knex) and reads
   * the baseline (version 0) on A, where nothing is cached yet. On any failure, what was started is
   * stopped before the error is rethrown.
   */
  static async start(seedDb: Db, options: ScenarioOptions): Promise<Scenario> {
    const proxies: TcpProxy[] = [];
    const dbs: Db[] = [];
    const gateways: TestGateway[] = [];
    let redis: RedisServer | null = null;
    try {
      redis = await startRedisServer();
      const fund = await seedFund(seedDb, 'INV');
      const instance = async (name: InstanceName, viaProxy: boolean): Promise<Instance> => {
        const proxy = viaProxy ? await startTcpProxy({ targetPort: redis!.port, replyLatencyMs: options.replyLatencyMs ?? 0 }) : null;
        if (proxy) proxies.push(proxy);
        const db = testDb();
        dbs.push(db);
        const gw = await startTestGateway(db, fixedClock(DEMO_NOW), { env: { REDIS_URL: proxy?.url ?? redis!.url, ...CACHE_ENV } });
        gateways.push(gw);
        return { name, db, gw, proxy, stopped: false };
      };
      const a = await instance('A', options.proxyA ?? false);
      const b = await instance('B', options.proxyB ?? false);
      const scenario = new Scenario(options, redis, fund, a, b, { proxies, dbs });
      await scenario.readBaseline();
      return scenario;
    } catch (error) {
      await Promise.allSettled(gateways.map((g) => g.stop()));
      await Promise.allSettled(proxies.map((p) => p.close()));
      await Promise.allSettled(dbs.map((d) => d.destroy()));
      await redis?.stop();
      throw error;
    }
  }

  instance(name: InstanceName): Instance {
    return name === 'A' ? this.a : this.b;
  }

  /** ms since the scenario started, for messages. */
  at(time: number): string {
    return Number.isFinite(time) ? `+${Math.round(time - this.t0)}ms` : 'the end';
  }

  private async readBaseline(): Promise<void> {
    const views = new Map<Field, View>();
    for (const field of FIELDS) {
      const read = await this.read(this.a, field);
      if (read.failure !== null || read.view === null) throw new Error(`baseline ${field} failed: ${read.failure}`);
      if (read.status !== 'miss') throw new Error(`baseline ${field} was a ${read.status} on an empty Redis`);
      views.set(field, read.view);
    }
    const book = views.get('book');
    const risk = views.get('riskLive');
    if (book?.kind !== 'book' || risk?.kind !== 'riskLive') throw new Error('baseline views of the wrong kind');
    this.baseline = { closedToday: book.closedToday, grossBrl: dec(risk.grossBrl), cumulativePnlBrl: dec(risk.cumulativePnlBrl) };
    // The baseline reads are version 0 by construction; they stay in the log (nothing was acked).
  }

  /** One read of `field` on `instance`, recorded. Never throws. */
  async read(instance: Instance, field: Field): Promise<ReadRecord> {
    const variables = { portfolioId: this.fund.code };
    const start = performance.now();
    let record: ReadRecord;
    try {
      let response: GraphQLResponse<unknown>;
      let view: View | null = null;
      switch (field) {
        case 'book': {
          const r = await instance.gw.execute(BookDocument, variables, this.token);
          response = r;
          if (r.data) view = { kind: 'book', openIds: r.data.book.positions.map((p) => p.id), closedToday: r.data.book.summary.closedToday };
          break;
        }
        case 'riskLive': {
          const r = await instance.gw.execute(RiskLiveDocument, variables, this.token);
          response = r;
          if (r.data) {
            const ids = new Set(r.data.riskLive.stress.flatMap((s) => s.contributions.map((c) => c.positionId)));
            view = {
              kind: 'riskLive',
              openIds: [...ids],
              grossBrl: r.data.riskLive.leverage.grossExposureBrl,
              cumulativePnlBrl: r.data.riskLive.drawdown.cumulativePnlBrl,
            };
          }
          break;
        }
        case 'attribution': {
          const r = await instance.gw.execute(AttributionDocument, { ...variables, period: 'MTD' }, this.token);
          response = r;
          if (r.data) view = { kind: 'attribution', pnlIds: r.data.attribution.byInstrument.map((i) => i.positionId) };
          break;
        }
      }
      const failure = failureOf(response);
      record = { instance: instance.name, field, start, end: performance.now(), status: statusOf(response), view: failure ? null : view, failure };
    } catch (error) {
      record = { instance: instance.name, field, start, end: performance.now(), status: undefined, view: null, failure: `threw: ${String(error)}` };
    }
    this.reads.push(record);
    return record;
  }

  /** Starts the reader loops of these instances (each loop cycles book, riskLive, attribution). */
  startReaders(...names: InstanceName[]): void {
    const count = this.options.readersPerInstance ?? 2;
    const pause = this.options.readPauseMs ?? 5;
    for (const name of names) {
      if (this.readerLoops.has(name)) continue;
      const instance = this.instance(name);
      const control = { stop: false, loops: [] as Promise<void>[] };
      for (let i = 0; i < count; i++) {
        control.loops.push(
          (async () => {
            for (let n = i; !control.stop; n++) {
              await this.read(instance, FIELDS[n % FIELDS.length]!);
              if (pause > 0) await sleep(pause);
            }
          })(),
        );
      }
      this.readerLoops.set(name, control);
    }
  }

  /** Stops the reader loops of these instances (all when none given) and waits for them. */
  async stopReaders(...names: InstanceName[]): Promise<void> {
    const which = names.length > 0 ? names : [...this.readerLoops.keys()];
    await Promise.all(
      which.map(async (name) => {
        const control = this.readerLoops.get(name);
        if (!control) return;
        control.stop = true;
        await Promise.all(control.loops);
        this.readerLoops.delete(name);
      }),
    );
  }

  /** `count` reads of every field, concurrently, on `instance` (a burst); resolves when all are done. */
  burst(name: InstanceName, count: number): Promise<ReadRecord[]> {
    const instance = this.instance(name);
    return Promise.all(Array.from({ length: count }, (_, i) => this.read(instance, FIELDS[i % FIELDS.length]!)));
  }

  /** The next write of the sequence, through `via`; resolves once acknowledged (throws if it failed). */
  async step(via: InstanceName = 'A'): Promise<WriteRecord> {
    const version = this.writes.filter((w) => !w.replay).length + 1;
    const idempotencyKey = `${this.fund.code}.w${version}`;
    let record: WriteRecord;
    // #1 and every even write open a position; every odd write from #3 closes the oldest one.
    if (version === 1 || version % 2 === 0) {
      const input: OpenPositionInput = {
        portfolioId: this.fund.code,
        ticker: POSITION.ticker,
        direction: POSITION.direction,
        notionalBrl: POSITION.notionalBrl,
        entryPrice: POSITION.entryPrice,
        entryFxRate: POSITION.fxRate,
        thesis: 'Invalidation suite position',
        strategyIds: ['CROSS_01'],
        idempotencyKey,
      };
      record = this.newWrite(version, 'open', via, input, false);
    } else {
      const positionId = this.openSeq[(version - 3) / 2];
      if (positionId === undefined) throw new Error(`write #${version}: no position to close`);
      const input: ClosePositionInput = { positionId, closePrice: POSITION.entryPrice, fxRate: POSITION.fxRate, idempotencyKey };
      record = this.newWrite(version, 'close', via, input, false);
    }
    await this.send(record);
    if (record.kind === 'open') this.openSeq.push(record.positionId!);
    return record;
  }

  /** The same mutation as `write`, with the same idempotency key, through `via` (a client's retry). */
  async retry(write: WriteRecord, via: InstanceName): Promise<WriteRecord> {
    const record = this.newWrite(write.version, write.kind, via, write.input, true);
    await this.send(record);
    if (record.positionId !== write.positionId) {
      throw new Error(`retry of #${write.version} answered position ${record.positionId}, the first call ${write.positionId}`);
    }
    return record;
  }

  private newWrite(version: number, kind: 'open' | 'close', via: InstanceName, input: OpenPositionInput | ClosePositionInput, replay: boolean): WriteRecord {
    const record: WriteRecord = {
      version, kind, via, idempotencyKey: input.idempotencyKey!, input, start: performance.now(), ack: null, positionId: null, amount: null, replay,
    };
    this.writes.push(record);
    return record;
  }

  private async send(record: WriteRecord): Promise<void> {
    const gw = this.instance(record.via).gw;
    let failure: string | null;
    try {
      if (record.kind === 'open') {
        const r = await gw.execute(OpenPositionDocument, { input: record.input as OpenPositionInput }, this.token);
        failure = failureOf(r);
        if (!failure && r.data) {
          record.positionId = r.data.openPosition.id;
          record.amount = r.data.openPosition.transactionCostBrl;
        }
      } else {
        const r = await gw.execute(ClosePositionDocument, { input: record.input as ClosePositionInput }, this.token);
        failure = failureOf(r);
        if (!failure && r.data) {
          record.positionId = r.data.closePosition.id;
          record.amount = r.data.closePosition.realizedPnlBrl;
        }
      }
    } catch (error) {
      failure = `threw: ${String(error)}`;
    }
    if (failure !== null) {
      const message = `write #${record.version} (${record.kind}${record.replay ? ', retry' : ''} via ${record.via}) failed: ${failure}`;
      this.failures.push(message);
      throw new Error(message);
    }
    record.ack = performance.now();
  }

  /** `count` writes through `via`, `gapMs` apart. */
  async steps(count: number, gapMs: number, via: InstanceName = 'A'): Promise<void> {
    for (let i = 0; i < count; i++) {
      await this.step(via);
      await sleep(gapMs);
    }
  }

  /**
   * Waits (bounded) until each instance named has served a hit to a read that started at or after
   * `since`. Resolves either way: the evaluation reports instances without hits.
   */
  async waitForHits(names: readonly InstanceName[], since: number, timeoutMs = 5_000): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    const hit = (name: InstanceName) => this.reads.some((r) => r.instance === name && r.start >= since && r.status === 'hit');
    while (performance.now() < deadline) {
      if (names.every(hit)) return true;
      await sleep(50);
    }
    return names.every(hit);
  }

  /**
   * The state of the circuit between an instance and its store: from the gateway's own store
   * (`gateway.cacheStore.state`) where it exposes one, else from /metrics
   * (pms_cache_store_circuit_open: 0 closed, 1 open or half-open).
   */
  async circuitState(name: InstanceName): Promise<string> {
    const store = (this.instance(name).gw.gateway as { cacheStore?: { state?: unknown } | null }).cacheStore;
    if (typeof store?.state === 'string') return store.state;
    const value = metricValue(await this.metrics(name), 'pms_cache_store_circuit_open');
    if (value === null) throw new Error(`instance ${name}: no circuit state (no gateway.cacheStore, no pms_cache_store_circuit_open in /metrics)`);
    return value === 0 ? 'closed' : 'open or half-open';
  }

  /** Store commands sent by an instance (through its proxy) in the last `ms`: a lower bound of those in flight when replies take `ms`. */
  sentWithin(name: InstanceName, ms: number): number {
    const proxy = this.instance(name).proxy;
    if (proxy === null) throw new Error(`instance ${name} has no proxy`);
    const since = performance.now() - ms;
    return proxy.sentCommands.filter((t) => t >= since).length;
  }

  async metrics(name: InstanceName): Promise<string> {
    const url = this.instance(name).gw.url.replace(/\/graphql$/, '/metrics');
    const response = await fetch(url);
    if (response.status !== 200) throw new Error(`instance ${name}: /metrics answered ${response.status}`);
    return response.text();
  }

  /**
   * Stops instance `name` the way a process dies right after answering: its readers are stopped
   * first (so that no request of the test's own fails against a closed port), then the gateway.
   */
  async stopInstance(name: InstanceName): Promise<void> {
    const instance = this.instance(name);
    await this.stopReaders(name);
    if (instance.stopped) return;
    instance.stopped = true;
    await instance.gw.stop();
  }

  /** Generation counters in the store, found by the `:g:` segment of their keys (SCAN: the test's, never the gateway's). */
  async snapshotGenerations(): Promise<Map<string, { dump: Buffer; pttl: number }>> {
    const client = new Redis(this.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await client.connect();
      const keys = new Set<string>();
      let cursor = '0';
      do {
        const [next, batch] = await client.scan(cursor, 'MATCH', '*:g:*', 'COUNT', 1000);
        cursor = next;
        for (const key of batch) keys.add(key);
      } while (cursor !== '0');
      const snapshot = new Map<string, { dump: Buffer; pttl: number }>();
      for (const key of keys) {
        const dump = await client.dumpBuffer(key);
        if (dump !== null) snapshot.set(key, { dump, pttl: await client.pttl(key) });
      }
      return snapshot;
    } finally {
      client.disconnect();
    }
  }

  /**
   * Puts the generation counters back as `snapshot` recorded them, as a restore of an older
   * snapshot would: each recorded key gets its old value (RESTORE … REPLACE, whatever its type),
   * and counters created since are deleted. Returns how many keys moved back.
   */
  async restoreGenerations(snapshot: Map<string, { dump: Buffer; pttl: number }>): Promise<number> {
    const client = new Redis(this.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await client.connect();
      const now = await this.snapshotGenerations();
      let moved = 0;
      for (const [key, { dump, pttl }] of snapshot) {
        if (!now.get(key)?.dump.equals(dump)) moved += 1;
        await client.restore(key, pttl > 0 ? pttl : 0, dump, 'REPLACE');
      }
      for (const key of now.keys()) if (!snapshot.has(key)) await client.del(key);
      return moved;
    } finally {
      client.disconnect();
    }
  }

  /** Stops everything this scenario started; safe to call twice and after failures. */
  async stop(): Promise<void> {
    await this.stopReaders();
    for (const instance of [this.a, this.b]) {
      if (instance.stopped) continue;
      instance.stopped = true;
      // A gateway whose proxy is blocked must still stop: its store's quit is bounded by the timeout.
      await instance.gw.stop().catch(() => undefined);
    }
    await Promise.allSettled(this.owned.proxies.map((p) => p.close()));
    await Promise.allSettled(this.owned.dbs.map((d) => d.destroy()));
    await this.redis.stop();
  }

  /**
   * The common shape of a failure scenario: readers on both instances, two writes, the failure
   * (`begin`), three writes during it, the recovery (`end`), `writesAfter` writes after it, then
   * hits awaited on both instances and the evaluation, with the failure and what follows it as
   * phases named `during` and `after`.
   */
  async throughFailure(failure: {
    readonly during: string;
    readonly after: string;
    begin(): Promise<void>;
    end(): Promise<void>;
    readonly writesAfter?: number;
    /** Instances that must serve hits while the failure lasts. */
    readonly hitsDuring?: readonly InstanceName[];
  }): Promise<Evaluation> {
    this.startReaders('A', 'B');
    await sleep(300);
    await this.steps(2, 150);
    await sleep(200);
    const began = performance.now();
    await failure.begin();
    await this.steps(3, 150);
    await failure.end();
    const ended = performance.now();
    await this.steps(failure.writesAfter ?? 2, 200);
    const settled = performance.now();
    await this.waitForHits(['A', 'B'], settled);
    await sleep(300);
    await this.stopReaders();
    const during = { from: began, to: ended };
    return this.evaluate({
      hitsAfter: { A: settled, B: settled },
      ...(failure.hitsDuring ? { hitsWithin: Object.fromEntries(failure.hitsDuring.map((name) => [name, during])) } : {}),
      phases: { [failure.during]: during, [failure.after]: { from: ended, to: Infinity } },
    });
  }

  /** The oracle: see the comment at the top of this file. */
  evaluate(options: EvaluateOptions = {}): Evaluation {
    return evaluate(this, options);
  }

  get base(): Baseline {
    if (this.baseline === null) throw new Error('no baseline');
    return this.baseline;
  }
}

export interface EvaluateOptions {
  /** Each instance named must have served hits to reads started at or after the time given. */
  readonly hitsAfter?: Partial<Record<InstanceName, number>>;
  /** Each instance named must have served hits to reads started within [from, to). */
  readonly hitsWithin?: Partial<Record<InstanceName, { readonly from: number; readonly to: number }>>;
  /** Phases to count stale reads in, by name: [from, to) in performance.now() time. */
  readonly phases?: Record<string, { readonly from: number; readonly to: number }>;
}

export interface Evaluation {
  /** Everything wrong, one line each (empty: the scenario passed). */
  readonly problems: string[];
  /** Counts, for the report: reads, hits per instance, stale reads. */
  readonly summary: string;
  readonly stale: number;
}

interface VersionState {
  readonly open: ReadonlySet<string>;
  readonly closed: number;
}

function evaluate(s: Scenario, options: EvaluateOptions): Evaluation {
  const problems: string[] = [];
  const base = s.base;
  const firsts = s.writes.filter((w) => !w.replay);
  const acked = s.writes.filter((w) => w.ack !== null);

  // Versions 0..N: the writer's open positions and the number of closes after each write.
  const states: VersionState[] = [{ open: new Set(), closed: 0 }];
  const writerIds = new Set<string>();
  for (const w of firsts) {
    const previous = states[states.length - 1]!;
    if (w.positionId === null) {
      problems.push(`write #${w.version} was never acknowledged; reads after it cannot be judged`);
      break;
    }
    writerIds.add(w.positionId);
    const open = new Set(previous.open);
    if (w.kind === 'open') open.add(w.positionId);
    else open.delete(w.positionId);
    states.push({ open, closed: previous.closed + (w.kind === 'close' ? 1 : 0) });
  }
  // Each close realizes −2 × the entry cost of its position; all positions are alike.
  const entryCost = firsts.find((w) => w.kind === 'open' && w.amount !== null)?.amount;
  const perClose = entryCost ? dec(entryCost).times(-2) : null;
  for (const w of firsts) {
    if (w.kind === 'close' && w.amount !== null && perClose !== null && !dec(w.amount).eq(perClose)) {
      problems.push(`write #${w.version} realized ${w.amount}, expected ${perClose.toFixed()}: the oracle's arithmetic does not hold`);
    }
  }
  const notional = dec(POSITION.notionalBrl);

  const versionsWhere = (pred: (state: VersionState) => boolean): number[] =>
    states.flatMap((state, v) => (pred(state) ? [v] : []));
  const sameOpen = (ids: readonly string[]) => {
    const mine = ids.filter((id) => writerIds.has(id));
    return versionsWhere((state) => state.open.size === mine.length && mine.every((id) => state.open.has(id)));
  };
  const withCloses = (c: number) => versionsWhere((state) => state.closed === c);

  /** The parts of a view, each with the versions it is consistent with (or why none). */
  const parts = (view: View): { part: string; versions: number[] }[] => {
    switch (view.kind) {
      case 'book':
        return [
          { part: `open positions ${label(view.openIds)}`, versions: sameOpen(view.openIds) },
          { part: `closedToday ${view.closedToday}`, versions: withCloses(view.closedToday - base.closedToday) },
        ];
      case 'riskLive': {
        const mine = view.openIds.filter((id) => writerIds.has(id));
        const gross = dec(view.grossBrl).minus(base.grossBrl);
        const cumulative = dec(view.cumulativePnlBrl).minus(base.cumulativePnlBrl);
        const closes = perClose === null ? (cumulative.isZero() ? 0 : NaN) : cumulative.div(perClose).toNumber();
        return [
          {
            part: `open positions ${label(view.openIds)} (gross +${gross.toFixed()})`,
            // The stress contributions and the gross exposure come from the same query: they must agree.
            versions: gross.eq(notional.times(mine.length)) ? sameOpen(view.openIds) : [],
          },
          { part: `cumulative P&L ${cumulative.toFixed()}`, versions: Number.isInteger(closes) ? withCloses(closes) : [] },
        ];
      }
      case 'attribution': {
        const mine = view.pnlIds.filter((id) => writerIds.has(id));
        // Only closed positions have P&L in the month, and they close oldest first.
        const versions = withCloses(mine.length).filter((v) => {
          const closedIds = firsts.slice(0, v).filter((w) => w.kind === 'close').map((w) => w.positionId);
          return mine.every((id) => closedIds.includes(id));
        });
        return [{ part: `positions with P&L ${label(view.pnlIds)}`, versions }];
      }
    }
  };
  const opens = firsts.filter((w) => w.kind === 'open').map((w) => w.positionId);
  /** The writer's positions among `ids`, as P1, P2… in the order they were opened. */
  const label = (ids: readonly string[]): string =>
    `{${ids.flatMap((id) => (writerIds.has(id) ? [opens.indexOf(id) + 1] : [])).sort((x, y) => x - y).map((n) => `P${n}`).join(',')}}`;

  if (process.env.INVALIDATION_TRACE === '1') {
    for (const w of s.writes) process.stdout.write(`WRITE #${w.version} ${w.kind} via ${w.via} ${s.at(w.start)}..${w.ack === null ? '-' : s.at(w.ack)}\n`);
  }
  const stale: { read: ReadRecord; required: number; saw: number; missedAck: number; part: string }[] = [];
  const unexplained: string[] = [];
  const failed = s.reads.filter((r) => r.failure !== null);
  for (const read of s.reads) {
    if (read.view === null) continue;
    // The newest acknowledged version when the read started, and the newest one begun when it ended.
    const required = Math.max(0, ...acked.filter((w) => w.ack! < read.start).map((w) => w.version));
    const possible = Math.max(0, ...s.writes.filter((w) => w.start < read.end).map((w) => w.version));
    if (process.env.INVALIDATION_TRACE === '1') {
      process.stdout.write(`${s.at(read.start)}..${s.at(read.end)} ${read.instance} ${read.field} ${read.status} req#${required} ${parts(read.view).map((p) => `${p.part}=[${p.versions.join(',')}]`).join(' ')}\n`);
    }
    for (const { part, versions } of parts(read.view)) {
      if (versions.length === 0) {
        unexplained.push(`${read.instance} ${read.field} (${read.status}) at ${s.at(read.start)}: ${part} matches no version`);
        continue;
      }
      const newest = Math.max(...versions);
      const oldest = Math.min(...versions);
      if (newest < required) {
        const missed = acked.filter((w) => w.version === newest + 1).map((w) => w.ack!);
        stale.push({ read, required, saw: newest, missedAck: Math.min(...missed), part });
        break;
      }
      if (oldest > possible) {
        unexplained.push(`${read.instance} ${read.field} (${read.status}) at ${s.at(read.start)}: ${part} is version ≥${oldest}, but only #${possible} had begun`);
      }
    }
  }

  // Stale reads, by instance, field and cache status, with the longest lag after the ack missed.
  stale.sort((x, y) => x.read.start - y.read.start);
  if (stale.length > 0) {
    const groups = new Map<string, number>();
    for (const { read } of stale) {
      const key = `${read.instance} ${read.field} ${read.status ?? '?'}`;
      groups.set(key, (groups.get(key) ?? 0) + 1);
    }
    const lag = Math.max(...stale.map((x) => x.read.start - x.missedAck));
    const first = stale[0]!;
    const last = stale[stale.length - 1]!;
    problems.push(
      `${stale.length} stale reads of ${s.reads.length} (${[...groups].map(([k, n]) => `${k}: ${n}`).join(', ')}); ` +
        `up to ${Math.round(lag)} ms after the ack they missed; first at ${s.at(first.read.start)} ` +
        `(${first.read.instance} ${first.read.field} ${first.read.status}, required #${first.required}, saw #${first.saw}: ${first.part}), ` +
        `last at ${s.at(last.read.start)}`,
    );
    for (const [name, phase] of Object.entries(options.phases ?? {})) {
      const n = stale.filter((x) => x.read.start >= phase.from && x.read.start < phase.to).length;
      problems.push(`  of which ${n} in phase "${name}" (${s.at(phase.from)}..${s.at(phase.to)})`);
    }
  }
  if (unexplained.length > 0) problems.push(`${unexplained.length} reads the oracle cannot place: ${unexplained.slice(0, 5).join('; ')}`);
  if (failed.length > 0) {
    problems.push(`${failed.length} reads failed: ${failed.slice(0, 3).map((r) => `${r.instance} ${r.field} at ${s.at(r.start)}: ${r.failure}`).join('; ')}`);
  }
  if (s.failures.length > 0) problems.push(`${s.failures.length} writes failed: ${s.failures.slice(0, 3).join('; ')}`);
  if (firsts.length < 2) problems.push(`only ${firsts.length} writes made: the scenario did not exercise invalidation`);

  // The cache must have been exercised: hits on both instances, and where asked, after the failure.
  const hits = (name: InstanceName, from = -Infinity, to = Infinity) =>
    s.reads.filter((r) => r.instance === name && r.status === 'hit' && r.start >= from && r.start < to).length;
  for (const name of ['A', 'B'] as const) {
    if (hits(name) === 0) problems.push(`instance ${name} served no hit at all: the cache was not exercised`);
    const after = options.hitsAfter?.[name];
    if (after !== undefined && hits(name, after) === 0) problems.push(`instance ${name} served no hit after ${s.at(after)}`);
    const within = options.hitsWithin?.[name];
    if (within !== undefined && hits(name, within.from, within.to) === 0) {
      problems.push(`instance ${name} served no hit within ${s.at(within.from)}..${s.at(within.to)}`);
    }
  }
  const count = (name: InstanceName, status: string) => s.reads.filter((r) => r.instance === name && r.status === status).length;
  const summary =
    `${s.options.name}: ${s.reads.length} reads (A ${count('A', 'hit')} hits/${count('A', 'miss')} misses, ` +
    `B ${count('B', 'hit')} hits/${count('B', 'miss')} misses), ${firsts.length} writes, ${stale.length} stale, ` +
    `${failed.length + s.failures.length} failed, ${unexplained.length} unplaceable`;
  return { problems, summary, stale: stale.length };
}

const VERBOSE = process.env.INVALIDATION_VERBOSE === '1';

/**
 * Runs `body` on a fresh scenario, stops everything whatever happens, then asserts that the
 * evaluation (plus `extra` problems the body found) is clean. Set INVALIDATION_VERBOSE=1 to print
 * each scenario's counts, INVALIDATION_TRACE=1 to print every read and write.
 */
export async function runScenario(
  seedDb: Db,
  options: ScenarioOptions,
  body: (s: Scenario) => Promise<Evaluation | { readonly evaluation: Evaluation; readonly extra: readonly string[]; readonly notes?: readonly string[] }>,
): Promise<void> {
  const scenario = await Scenario.start(seedDb, options);
  let outcome: Awaited<ReturnType<typeof body>>;
  try {
    outcome = await body(scenario);
  } finally {
    await scenario.stop();
  }
  const evaluation = 'evaluation' in outcome ? outcome.evaluation : outcome;
  const problems = [...('extra' in outcome ? outcome.extra : []), ...evaluation.problems];
  const notes = 'notes' in outcome ? (outcome.notes ?? []) : [];
  if (VERBOSE) process.stdout.write(`${evaluation.summary}\n${[...notes, ...problems].map((p) => `  ${p}\n`).join('')}`);
  expect(problems).toEqual([]);
}
