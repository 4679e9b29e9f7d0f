// The desk scenario's model of its books and its oracle, as pure functions: what each read shows
// of a book (its observables), what each version of a book should show (predicted from the
// acknowledged writes), the writes themselves (drawn from a seeded generator and the model's
// state, so every contender gets the same ones), and the verdicts: stale reads, hit eligibility.
import { createHash } from 'node:crypto';
import Decimal from 'decimal.js';

export type DeskQuery = 'book' | 'riskLive' | 'attribution';
export const DESK_QUERIES: readonly DeskQuery[] = ['book', 'riskLive', 'attribution'];
export type DeskWriteOp = 'markToMarket' | 'openPosition' | 'closePosition';
export const DESK_WRITE_OPS: readonly DeskWriteOp[] = ['markToMarket', 'openPosition', 'closePosition'];

/**
 * What a read shows of its book, per query: each observable comes from one SQL statement of the
 * computation (so a computation that straddles a commit shows each observable at one version):
 * - book `positions`: the open positions, id and unrealized P&L (marks move it);
 * - riskLive `exposure`: gross and net exposure (opens and closes move it); `pnl`: the cumulative
 *   P&L of the whole daily series (Σ of every snapshot's daily P&L: marks and closes move it);
 * - attribution (INCEPTION) `byInstrument`: P&L per position that has a snapshot.
 */
export const OBSERVABLES: Readonly<Record<DeskQuery, readonly string[]>> = {
  book: ['positions'],
  riskLive: ['exposure', 'pnl'],
  attribution: ['byInstrument'],
};

export interface DeskInstrument {
  readonly ticker: string;
  readonly assetClass: string;
  readonly basePrice: string;
  readonly strategyId: string;
}

export interface DeskPosition {
  readonly id: string;
  readonly ticker: string;
  readonly sign: 1 | -1;
  /** Decimal strings, normalized (see `norm`). */
  readonly notional: string;
  unrealized: string;
  /** Has at least one P&L snapshot (attribution lists only those). */
  marked: boolean;
}

/** A book as the model knows it: exactly the facts its reads show. */
export interface DeskBook {
  readonly code: string;
  readonly open: DeskPosition[];
  /** Positions closed (by this run: the reset removes the others), with their realized P&L. */
  readonly closed: { readonly id: string; readonly realized: string }[];
  /** Last price by ticker (the next mark moves it a little). */
  readonly prices: Record<string, string>;
}

/** Normal form of a decimal string: no exponent, no trailing zeros, no negative zero. */
export function norm(value: string | number): string {
  const d = new Decimal(value);
  return d.isZero() ? '0' : d.toFixed();
}

const digest = (text: string): string => createHash('sha1').update(text).digest('base64');
const sum = (values: readonly string[]): Decimal => values.reduce((acc, v) => acc.plus(v), new Decimal(0));
const pairs = (rows: readonly (readonly [string, string])[]): string =>
  digest(
    rows
      .map(([id, value]) => `${id}=${norm(value)}`)
      .sort()
      .join(';'),
  );

/** Observable key: `<query>.<observable>`. */
export type ObservableKey = `${DeskQuery}.${string}`;

/** What every query should show of `book` (the digests of its observables). */
export function predict(book: DeskBook): Record<ObservableKey, string> {
  const gross = sum(book.open.map((p) => p.notional));
  const net = sum(book.open.map((p) => (p.sign === 1 ? p.notional : `-${p.notional}`)));
  const cumulative = sum([...book.open.map((p) => p.unrealized), ...book.closed.map((c) => c.realized)]);
  return {
    'book.positions': pairs(book.open.map((p) => [p.id, p.unrealized] as const)),
    'riskLive.exposure': digest(`${norm(gross.toFixed())}|${norm(net.toFixed())}`),
    'riskLive.pnl': digest(norm(cumulative.toFixed())),
    'attribution.byInstrument': pairs([
      ...book.open.filter((p) => p.marked).map((p) => [p.id, p.unrealized] as const),
      ...book.closed.map((c) => [c.id, c.realized] as const),
    ]),
  };
}

interface BookData { book?: { positions?: { id: string; unrealizedPnlBrl: string }[] } }
interface RiskData { riskLive?: { leverage?: { grossExposureBrl: string; netExposureBrl: string }; drawdown?: { cumulativePnlBrl: string } } }
interface AttributionData { attribution?: { byInstrument?: { positionId: string; pnlBrl: string }[] } }

/** The digests of what an answer's `data` shows, or null when it lacks a field the oracle reads. */
export function observe(query: DeskQuery, data: unknown): Partial<Record<ObservableKey, string>> | null {
  switch (query) {
    case 'book': {
      const positions = (data as BookData | null)?.book?.positions;
      return positions ? { 'book.positions': pairs(positions.map((p) => [p.id, p.unrealizedPnlBrl] as const)) } : null;
    }
    case 'riskLive': {
      const risk = (data as RiskData | null)?.riskLive;
      if (!risk?.leverage || !risk.drawdown) return null;
      return {
        'riskLive.exposure': digest(`${norm(risk.leverage.grossExposureBrl)}|${norm(risk.leverage.netExposureBrl)}`),
        'riskLive.pnl': digest(norm(risk.drawdown.cumulativePnlBrl)),
      };
    }
    case 'attribution': {
      const rows = (data as AttributionData | null)?.attribution?.byInstrument;
      return rows ? { 'attribution.byInstrument': pairs(rows.map((r) => [r.positionId, r.pnlBrl] as const)) } : null;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Writes: drawn from a seeded generator and the model's state, applied from their answers
// ---------------------------------------------------------------------------------------------

/** mulberry32: a small seeded generator of floats in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A seed per (run seed, stream, index), so that a write's draws do not depend on timing. */
export function seedOf(seed: number, stream: number, index: number): number {
  return createHash('sha1').update(`${seed}:${stream}:${index}`).digest().readUInt32LE(0);
}

export interface WriteMix {
  readonly markToMarket: number;
  readonly openPosition: number;
  readonly closePosition: number;
}

export interface WriteBounds {
  /** Below this many open positions a close becomes an open; at or above the max, an open a close. */
  readonly minOpen: number;
  readonly maxOpen: number;
}

export interface PlannedWrite {
  readonly op: DeskWriteOp;
  readonly input: Record<string, unknown>;
}

const round6 = (d: Decimal): string => d.toDecimalPlaces(6).toFixed();
const move = (price: string, draw: number, span: number): string => round6(new Decimal(price).times(1 + (draw - 0.5) * span));

/**
 * The next write of `book`: the operation by `mix` (kept within `bounds`), its input drawn with
 * `draw`. A mark prices every ticker of the book (a full mark: ±0.5% from its last price); an
 * open buys or sells one of `instruments` (1–5 M BRL near its last price); a close closes one
 * open position at ±0.5% from its last price.
 */
export function planWrite(book: DeskBook, instruments: readonly DeskInstrument[], mix: WriteMix, bounds: WriteBounds, draw: () => number): PlannedWrite {
  const r = draw() * (mix.markToMarket + mix.openPosition + mix.closePosition);
  let op: DeskWriteOp = r < mix.markToMarket ? 'markToMarket' : r < mix.markToMarket + mix.openPosition ? 'openPosition' : 'closePosition';
  if (op === 'closePosition' && book.open.length <= bounds.minOpen) op = 'openPosition';
  if (op === 'openPosition' && book.open.length >= bounds.maxOpen) op = 'closePosition';
  switch (op) {
    case 'markToMarket': {
      const tickers = [...new Set(book.open.map((p) => p.ticker))].sort();
      return { op, input: { portfolioId: book.code, prices: tickers.map((ticker) => ({ ticker, price: move(book.prices[ticker]!, draw(), 0.01) })) } };
    }
    case 'openPosition': {
      const instrument = instruments[Math.floor(draw() * instruments.length)]!;
      const direction = draw() < 1 / 3 ? 'SHORT' : 'LONG';
      const notional = 1_000_000 + Math.floor(draw() * 4_000) * 1_000;
      const entryPrice = move(book.prices[instrument.ticker] ?? instrument.basePrice, draw(), 0.002);
      return {
        op,
        input: {
          portfolioId: book.code,
          ticker: instrument.ticker,
          direction,
          notionalBrl: String(notional),
          entryPrice,
          entryFxRate: '5.1',
          thesis: `Desk bench: ${direction} ${instrument.ticker}`,
          strategyIds: [instrument.strategyId],
          ...(instrument.assetClass === 'RATES' ? { ratePct: '11.5', businessDays: 504 } : {}),
        },
      };
    }
    case 'closePosition': {
      const position = book.open[Math.floor(draw() * book.open.length)]!;
      return { op, input: { positionId: position.id, closePrice: move(book.prices[position.ticker]!, draw(), 0.01) } };
    }
  }
}

interface PositionAnswer { id: string; ticker: string; direction: string; notionalBrl: string; unrealizedPnlBrl: string; realizedPnlBrl: string; entryPrice: string }
interface MarkAnswer { marks: { positionId: string; price: string; unrealizedPnlBrl: string; ticker: string }[] }

/**
 * Applies an acknowledged write to the model from its answer (the ids, marks and realized P&L
 * the gateway returned). Returns null, or why the answer does not fit the model (the book is then
 * no longer tracked).
 */
export function applyWrite(book: DeskBook, op: DeskWriteOp, data: unknown): string | null {
  switch (op) {
    case 'openPosition': {
      const p = (data as { openPosition?: PositionAnswer } | null)?.openPosition;
      if (!p) return 'openPosition: no position in the answer';
      book.open.push({ id: p.id, ticker: p.ticker, sign: p.direction === 'SHORT' ? -1 : 1, notional: norm(p.notionalBrl), unrealized: norm(p.unrealizedPnlBrl), marked: false });
      book.prices[p.ticker] ??= norm(p.entryPrice);
      return null;
    }
    case 'closePosition': {
      const p = (data as { closePosition?: PositionAnswer } | null)?.closePosition;
      if (!p) return 'closePosition: no position in the answer';
      const index = book.open.findIndex((o) => o.id === p.id);
      if (index < 0) return `closePosition: ${p.id} is not open in the model`;
      book.open.splice(index, 1);
      book.closed.push({ id: p.id, realized: norm(p.realizedPnlBrl) });
      return null;
    }
    case 'markToMarket': {
      const result = (data as { markToMarket?: MarkAnswer } | null)?.markToMarket;
      if (!result) return 'markToMarket: no result in the answer';
      const byId = new Map(result.marks.map((m) => [m.positionId, m]));
      if (byId.size !== book.open.length || book.open.some((p) => !byId.has(p.id))) {
        return `markToMarket: marked ${byId.size} positions, the model has ${book.open.length} open`;
      }
      for (const p of book.open) {
        const mark = byId.get(p.id)!;
        p.unrealized = norm(mark.unrealizedPnlBrl);
        p.marked = true;
        book.prices[p.ticker] = norm(mark.price);
      }
      return null;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The oracle: versions of each book, and the verdict on each read
// ---------------------------------------------------------------------------------------------

/**
 * The versions of one book: version 0 as the run found it, version k after its k-th acknowledged
 * write (writes to one book are sent one at a time, so the order of their commits is the order
 * of their acknowledgements). For each observable, the versions that show each digest.
 */
export class BookVersions {
  /** ackMs[k]: when the answer of the write that made version k was received (version 0: −∞). */
  readonly ackMs: number[] = [Number.NEGATIVE_INFINITY];
  /** When the write that made version k was sent (version 0: −∞). */
  readonly sentMs: number[] = [Number.NEGATIVE_INFINITY];
  private readonly byDigest = new Map<string, Map<string, number[]>>();
  /** Set when an answer did not fit the model, or a write failed: reads from then on are not judged. */
  untrackedFromMs: number | null = null;
  untrackedReason: string | null = null;

  constructor(book: DeskBook) {
    this.record(predict(book));
  }

  /** A write sent at `sentMs` was acknowledged at `ackMs`, leaving `book`. */
  acknowledge(book: DeskBook, sentMs: number, ackMs: number): void {
    this.ackMs.push(ackMs);
    this.sentMs.push(sentMs);
    this.record(predict(book));
  }

  untrack(fromMs: number, reason: string): void {
    if (this.untrackedFromMs !== null) return;
    this.untrackedFromMs = fromMs;
    this.untrackedReason = reason;
  }

  get latest(): number {
    return this.ackMs.length - 1;
  }

  private record(digests: Record<string, string>): void {
    const version = this.ackMs.length - 1;
    for (const [key, value] of Object.entries(digests)) {
      let map = this.byDigest.get(key);
      if (!map) this.byDigest.set(key, (map = new Map()));
      const list = map.get(value);
      if (list) list.push(version);
      else map.set(value, [version]);
    }
  }

  /** The versions whose `key` observable shows `value`. */
  versionsShowing(key: string, value: string): readonly number[] {
    return this.byDigest.get(key)?.get(value) ?? [];
  }

  /** The latest version acknowledged at or before `ms` (0 when none). */
  acknowledgedAt(ms: number): number {
    let lo = 0;
    let hi = this.ackMs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.ackMs[mid]! <= ms) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

export type Verdict =
  | { readonly kind: 'fresh' }
  /** Some observable shows only versions older than the one acknowledged before the read started. */
  | { readonly kind: 'stale'; readonly behind: number; readonly sinceAckMs: number; readonly observable: string }
  /** Some observable shows no version at all (the oracle cannot explain the answer). */
  | { readonly kind: 'unexplained'; readonly observable: string }
  | { readonly kind: 'untracked' };

/**
 * The rule: a read that started after a write's acknowledgement must not show data from before
 * that write. Version `acked` is the latest acknowledged when the read started; the read is
 * stale when an observable shows only versions older than `acked` (a newer version, from a
 * write in flight, is fine; so is an older version that shows the same as a newer one: the write
 * did not change that observable).
 */
export function judge(versions: BookVersions, startMs: number, endMs: number, observed: Partial<Record<string, string>>): Verdict {
  if (versions.untrackedFromMs !== null && endMs > versions.untrackedFromMs) return { kind: 'untracked' };
  const acked = versions.acknowledgedAt(startMs);
  let unexplained: string | null = null;
  for (const [key, value] of Object.entries(observed)) {
    if (value === undefined) continue;
    const shown = versions.versionsShowing(key, value);
    if (shown.length === 0) {
      unexplained ??= key;
      continue;
    }
    const newest = Math.max(...shown);
    if (newest < acked) return { kind: 'stale', behind: acked - newest, sinceAckMs: startMs - versions.ackMs[newest + 1]!, observable: key };
  }
  return unexplained === null ? { kind: 'fresh' } : { kind: 'unexplained', observable: unexplained };
}

/** One read, as the load generator recorded it. */
export interface ReadRecord {
  readonly book: number;
  readonly query: DeskQuery;
  readonly startMs: number;
  readonly endMs: number;
  readonly ok: boolean;
}

/**
 * Hit eligibility: a read of (book, query) is *eligible* when the book's facts did not change
 * since an earlier read of the same (book, query) that could have stored the entry, namely when
 * - no write to the book was in flight at any time during the read (none sent before it ended
 *   and acknowledged after it started), and
 * - an earlier successful read of the same book and query, on either instance, started after the
 *   acknowledgement of the last write to the book before this read (or after the start of the
 *   run) and ended before this read started.
 * Then the answer was computed (or served) with the current facts and could be stored before this
 * read began: with a shared cache this read should be a hit. The book re-warmed by a write counts
 * for nothing here (so the rule is the same for every contender). TTL expiry is not excluded.
 * Returns, per read (same order), whether it is eligible.
 */
export function eligibility(reads: readonly ReadRecord[], versions: readonly BookVersions[]): boolean[] {
  // Per (book, query): successful reads sorted by end, with the running maximum of their starts.
  const groups = new Map<string, { ends: number[]; maxStart: number[] }>();
  const sorted = reads.filter((r) => r.ok).sort((a, b) => a.endMs - b.endMs);
  for (const r of sorted) {
    const key = `${r.book}|${r.query}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ends: [], maxStart: [] }));
    g.ends.push(r.endMs);
    g.maxStart.push(Math.max(r.startMs, g.maxStart[g.maxStart.length - 1] ?? Number.NEGATIVE_INFINITY));
  }
  return reads.map((r) => {
    const v = versions[r.book]!;
    const acked = v.acknowledgedAt(r.startMs);
    // The next write after `acked`, sent before this read ended: in flight during the read.
    const next = acked + 1;
    if (next < v.sentMs.length && v.sentMs[next]! < r.endMs) return false;
    if (v.untrackedFromMs !== null && r.endMs > v.untrackedFromMs) return false;
    const g = groups.get(`${r.book}|${r.query}`);
    if (!g) return false;
    // Last earlier read that ended strictly before this one started.
    let lo = 0;
    let hi = g.ends.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (g.ends[mid]! < r.startMs) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found >= 0 && g.maxStart[found]! >= v.ackMs[acked]!;
  });
}
