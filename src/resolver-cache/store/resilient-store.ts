import type {
  BumpRequest, CacheBytesEntry, CacheEntry, CacheStore, LookupBytesRequest, LookupBytesResult, LookupRequest, LookupResult, PutRequest,
} from './cache-store';

/**
 * Why a call did not reach the store: it did not answer within timeoutMs, it answered with an
 * error, or the circuit is open and the call was not even tried.
 */
export type UnavailableReason = 'timeout' | 'error' | 'circuit-open';

export interface StoreUnavailable {
  readonly kind: 'unavailable';
  readonly reason: UnavailableReason;
}

export type LookupOutcome<TEntry = CacheEntry> =
  | {
      readonly kind: 'ok';
      readonly generations: readonly number[];
      readonly entry: TEntry | null;
      /**
       * True when the store had an entry but it was refused because it was stored before this
       * process recovered from losing an invalidation of its tag (entry is then null: a miss).
       */
      readonly refusedStale: boolean;
      /** The entries read alongside (lookupBytes), under the same stale guard. */
      readonly alongside?: readonly (CacheEntry | null)[];
    }
  | StoreUnavailable;

export type PutOutcome = { readonly kind: 'ok' } | StoreUnavailable;

/** `deferred`: the bump is remembered and will be replayed before the store serves a lookup. */
export type BumpOutcome =
  | { readonly kind: 'ok'; readonly generations: readonly number[] }
  | { readonly kind: 'deferred'; readonly reason: UnavailableReason };

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface ResilientStoreOptions {
  /** Bound of each call in ms, replay of pending bumps included. */
  readonly timeoutMs?: number;
  /** Consecutive failed calls (errors or timeouts) that open the circuit. */
  readonly failureThreshold?: number;
  /** How long the circuit stays open, in ms, before one probe call is let through. */
  readonly openMs?: number;
  /** Epoch ms, for the breaker and the stale guard; injectable for tests. */
  readonly now?: () => number;
  /** Called once per state change, never per request: the server logs it. */
  readonly onStateChange?: (from: CircuitState, to: CircuitState, reason: string) => void;
  /**
   * Bound of the tags with bumps waiting for replay (and of the tags under a stale guard). Past it
   * the bump's tag is dropped and every entry stored before the recovery is refused instead.
   */
  readonly maxPendingTags?: number;
  /**
   * How long, in ms, entries stored before a recovery stay refused for a tag whose bumps were
   * replayed. Must cover the longest entry TTL in use: older entries have expired anyway.
   */
  readonly staleGuardMs?: number;
}

export interface ResilientStoreStats {
  readonly state: CircuitState;
  /** Calls made to this store (lookup, put, bump, ttlMs), short-circuited ones included. */
  readonly calls: number;
  /** Calls that reached the inner store and failed: errors plus timeouts. */
  readonly failures: number;
  /** Of the failures, those that did not answer within timeoutMs. */
  readonly timeouts: number;
  /** Calls refused without touching the inner store because the circuit was open. */
  readonly shortCircuits: number;
  /** Pending bumps (one per tag, all its facts) replayed successfully after a failure. */
  readonly replayedBumps: number;
  /** Tags with bumps waiting for replay now. */
  readonly pendingTags: number;
  /** Bumps not remembered because maxPendingTags was reached (each widens the stale guard). */
  readonly droppedBumps: number;
  /** Entries found but refused by the stale guard. */
  readonly refusedStale: number;
}

const DEFAULT_TIMEOUT_MS = 100;
const DEFAULT_FAILURE_THRESHOLD = 5;
const DEFAULT_OPEN_MS = 5_000;
const DEFAULT_MAX_PENDING_TAGS = 10_000;
const DEFAULT_STALE_GUARD_MS = 24 * 60 * 60 * 1000;

/** What `lookup` (the port method) resolves to when the store is unavailable. */
const UNAVAILABLE_LOOKUP: LookupResult & LookupBytesResult = Object.freeze({ generations: Object.freeze([]), entry: null });

class StoreTimeoutError extends Error {
  constructor(ms: number) {
    super(`cache store did not answer within ${ms} ms`);
    this.name = 'StoreTimeoutError';
  }
}

type Admission = 'normal' | 'probe';
type Attempt<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: UnavailableReason };

/**
 * Wraps a CacheStore so that a failing or slow store never fails or stalls a request
 * (invariant 2): every call is bounded by timeoutMs and never rejects; failures feed a circuit
 * breaker that, while open, answers without touching the inner store.
 *
 * Use the `try*` methods: they say what happened as a union. The port methods delegate to them and
 * map "unavailable" to a neutral answer (lookup: no generations, no entry; put: nothing; bump: no
 * generations; ttlMs: null), so this class is still a CacheStore and never throws either.
 *
 * Invalidations are never lost silently (invariant 1): a bump that fails is remembered per tag and
 * replayed before any lookup is served from the store again; until it succeeds, lookups are
 * unavailable. Belt and braces, once a tag's bumps were replayed, its entries stored before that
 * moment are refused for staleGuardMs (see tryLookup).
 */
export class ResilientStore implements CacheStore {
  private readonly inner: CacheStore;
  private readonly timeoutMs: number;
  private readonly failureThreshold: number;
  private readonly openMs: number;
  private readonly now: () => number;
  private readonly onStateChange: ResilientStoreOptions['onStateChange'];
  private readonly maxPendingTags: number;
  private readonly staleGuardMs: number;

  private circuit: CircuitState = 'closed';
  private consecutiveFailures = 0;
  private openedAt = 0;
  private probing = false;
  private lastFailure = '';

  /** Facts per tag whose bump failed and must be replayed; one increment per fact suffices. */
  private readonly pending = new Map<string, Set<string>>();
  /** A bump was dropped (pending full): every tag needs the stale guard at the next recovery. */
  private lostBumps = false;
  private replaying: Promise<void> | null = null;
  /** Per tag: epoch ms of the recovery that replayed its bumps; entries stored before are refused. */
  private readonly guards = new Map<string, number>();
  /** The same for every tag, after dropped bumps or too many guarded tags. */
  private globalGuard = Number.NEGATIVE_INFINITY;

  private readonly counters = {
    calls: 0,
    failures: 0,
    timeouts: 0,
    shortCircuits: 0,
    replayedBumps: 0,
    droppedBumps: 0,
    refusedStale: 0,
  };

  constructor(inner: CacheStore, options: ResilientStoreOptions = {}) {
    this.inner = inner;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.failureThreshold = options.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD;
    this.openMs = options.openMs ?? DEFAULT_OPEN_MS;
    this.now = options.now ?? Date.now;
    this.onStateChange = options.onStateChange;
    this.maxPendingTags = options.maxPendingTags ?? DEFAULT_MAX_PENDING_TAGS;
    this.staleGuardMs = options.staleGuardMs ?? DEFAULT_STALE_GUARD_MS;
    if (!(this.timeoutMs > 0) || !(this.failureThreshold >= 1) || !(this.openMs >= 0)) {
      throw new RangeError('ResilientStore: timeoutMs > 0, failureThreshold >= 1 and openMs >= 0 are required');
    }
  }

  get state(): CircuitState {
    return this.circuit;
  }

  stats(): ResilientStoreStats {
    return { state: this.circuit, pendingTags: this.pending.size, ...this.counters };
  }

  /**
   * Replays pending bumps first (all tags: a lookup is served only by a store that has every
   * invalidation this process knows of), then looks up, both within one timeoutMs.
   * An entry stored before the end of an outage in which a bump of its tag was lost is refused:
   * the replay has already moved the generations past it, but the guard also holds where a replay
   * cannot help, i.e. bumps dropped because the pending set was full, and entries on a store whose
   * generation counters went back (restored from a snapshot, a replica that missed writes, a clock
   * stepped back) to numbers that entries from before the outage are stored under.
   * Callers must take storedAt before they read the data they cache, for the guard to be sound.
   */
  tryLookup(request: LookupRequest): Promise<LookupOutcome> {
    return this.guardedLookup(request, () => this.inner.lookup(request));
  }

  /** tryLookup with the entry as bytes (the inner store's lookupBytes), under the same guards. */
  tryLookupBytes(request: LookupBytesRequest): Promise<LookupOutcome<CacheBytesEntry>> {
    return this.guardedLookup(request, () => this.inner.lookupBytes(request));
  }

  /** Failures are only reported: a write that did not happen is a miss later, nothing worse. */
  async tryPut(request: PutRequest): Promise<PutOutcome> {
    const attempt = await this.attempt(() => this.inner.put(request));
    return attempt.ok ? { kind: 'ok' } : { kind: 'unavailable', reason: attempt.reason };
  }

  /** A bump that cannot be applied now is remembered and replayed (see tryLookup). */
  async tryBump(request: BumpRequest): Promise<BumpOutcome> {
    if (request.facts.length === 0) return { kind: 'ok', generations: [] };
    const attempt = await this.attempt(() => this.inner.bump(request));
    if (attempt.ok) return { kind: 'ok', generations: attempt.value };
    this.remember(request);
    return { kind: 'deferred', reason: attempt.reason };
  }

  async lookup(request: LookupRequest): Promise<LookupResult> {
    const outcome = await this.tryLookup(request);
    return outcome.kind === 'ok' ? { generations: outcome.generations, entry: outcome.entry } : UNAVAILABLE_LOOKUP;
  }

  async lookupBytes(request: LookupBytesRequest): Promise<LookupBytesResult> {
    const outcome = await this.tryLookupBytes(request);
    if (outcome.kind !== 'ok') return UNAVAILABLE_LOOKUP;
    return outcome.alongside === undefined
      ? { generations: outcome.generations, entry: outcome.entry }
      : { generations: outcome.generations, entry: outcome.entry, alongside: outcome.alongside };
  }

  async put(request: PutRequest): Promise<void> {
    await this.tryPut(request);
  }

  async bump(request: BumpRequest): Promise<readonly number[]> {
    const outcome = await this.tryBump(request);
    return outcome.kind === 'ok' ? outcome.generations : [];
  }

  async ttlMs(request: Omit<PutRequest, 'value' | 'ttlSeconds' | 'storedAt'>): Promise<number | null> {
    const attempt = await this.attempt(() => this.inner.ttlMs(request));
    return attempt.ok ? attempt.value : null;
  }

  async close(): Promise<void> {
    await this.inner.close();
  }

  private async guardedLookup<TEntry extends { readonly storedAt: number }>(
    request: LookupRequest,
    lookup: () => Promise<{ readonly generations: readonly number[]; readonly entry: TEntry | null; readonly alongside?: readonly (CacheEntry | null)[] }>,
  ): Promise<LookupOutcome<TEntry>> {
    const attempt = await this.attempt(async () => {
      await this.replayPending();
      return lookup();
    });
    if (!attempt.ok) return { kind: 'unavailable', reason: attempt.reason };
    const { generations, entry } = attempt.value;
    const guard = this.guardFor(request.tag);
    const refusedStale = entry !== null && entry.storedAt < guard;
    if (refusedStale) this.counters.refusedStale += 1;
    const outcome = { kind: 'ok', generations, entry: refusedStale ? null : entry, refusedStale } as const;
    if (attempt.value.alongside === undefined) return outcome;
    const alongside = attempt.value.alongside.map((other) => {
      if (other === null || other.storedAt >= guard) return other;
      this.counters.refusedStale += 1;
      return null;
    });
    return { ...outcome, alongside };
  }

  /** One call through the breaker, bounded by timeoutMs; never rejects. */
  private async attempt<T>(work: () => Promise<T>): Promise<Attempt<T>> {
    this.counters.calls += 1;
    const admission = this.admit();
    if (admission === null) {
      this.counters.shortCircuits += 1;
      return { ok: false, reason: 'circuit-open' };
    }
    try {
      const value = await withTimeout(work(), this.timeoutMs);
      this.succeeded(admission);
      return { ok: true, value };
    } catch (error) {
      const reason = error instanceof StoreTimeoutError ? 'timeout' : 'error';
      this.failed(admission, reason, error);
      return { ok: false, reason };
    }
  }

  /** null: short-circuit. Moving from open to half-open happens here, lazily: no timer to clear. */
  private admit(): Admission | null {
    switch (this.circuit) {
      case 'closed':
        return 'normal';
      case 'open':
        if (this.now() - this.openedAt < this.openMs) return null;
        this.transition('half-open', `open for ${this.openMs} ms; probing`);
        this.probing = true;
        return 'probe';
      case 'half-open':
        // One probe at a time; the others short-circuit until it settles.
        if (this.probing) return null;
        this.probing = true;
        return 'probe';
    }
  }

  private succeeded(admission: Admission): void {
    this.consecutiveFailures = 0;
    if (admission === 'probe') {
      this.probing = false;
      this.transition('closed', 'probe succeeded');
    }
  }

  private failed(admission: Admission, reason: 'timeout' | 'error', error: unknown): void {
    this.counters.failures += 1;
    if (reason === 'timeout') this.counters.timeouts += 1;
    this.consecutiveFailures += 1;
    this.lastFailure = reason === 'timeout' ? `timeout after ${this.timeoutMs} ms` : `error: ${describe(error)}`;
    if (admission === 'probe') {
      this.probing = false;
      this.openedAt = this.now();
      this.transition('open', `probe failed (${this.lastFailure})`);
    } else if (this.circuit === 'closed' && this.consecutiveFailures >= this.failureThreshold) {
      // Calls already in flight when it opens may fail too: they change nothing once it is open.
      this.openedAt = this.now();
      this.transition('open', `${this.consecutiveFailures} consecutive failures (last: ${this.lastFailure})`);
    }
  }

  private transition(to: CircuitState, reason: string): void {
    const from = this.circuit;
    if (from === to) return;
    this.circuit = to;
    try {
      this.onStateChange?.(from, to, reason);
    } catch {
      // A failing logger must not turn a cache outage into a request failure.
    }
  }

  private remember(request: BumpRequest): void {
    let facts = this.pending.get(request.tag);
    if (facts === undefined) {
      if (this.pending.size >= this.maxPendingTags) {
        this.counters.droppedBumps += 1;
        this.lostBumps = true;
        return;
      }
      facts = new Set();
      this.pending.set(request.tag, facts);
    }
    for (const fact of request.facts) facts.add(fact);
  }

  /**
   * Replays every pending bump, one inner bump per tag, concurrently. Single flight: concurrent
   * lookups wait on the same replay. Bounded by timeoutMs of its own, so a hung replay cannot
   * keep every later lookup waiting on it. Rejects when any tag could not be replayed.
   */
  private replayPending(): Promise<void> {
    if (this.pending.size === 0 && !this.lostBumps) return Promise.resolve();
    if (this.replaying === null) {
      const replay = async (): Promise<void> => {
        const lostBumps = this.lostBumps;
        const results = await Promise.allSettled(
          [...this.pending].map(async ([tag, facts]) => {
            const replayed = [...facts];
            await this.inner.bump({ tag, facts: replayed });
            // Only what was replayed: facts of this tag may have been added meanwhile.
            for (const fact of replayed) facts.delete(fact);
            if (facts.size === 0 && this.pending.get(tag) === facts) this.pending.delete(tag);
            this.guard(tag);
            this.counters.replayedBumps += 1;
          }),
        );
        const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
        if (failure !== undefined) throw failure.reason;
        if (lostBumps) {
          // Which tags lost a bump is unknown: refuse every entry from before this recovery.
          this.lostBumps = false;
          this.globalGuard = this.now();
        }
      };
      this.replaying = withTimeout(replay(), this.timeoutMs).finally(() => {
        this.replaying = null;
      });
    }
    return this.replaying;
  }

  private guard(tag: string): void {
    this.guards.delete(tag);
    if (this.guards.size >= this.maxPendingTags) {
      // Too many tags to track one by one: guard them all from now on.
      this.guards.clear();
      this.globalGuard = this.now();
      return;
    }
    this.guards.set(tag, this.now());
  }

  /** Epoch ms before which entries of the tag are refused; -Infinity when none are. */
  private guardFor(tag: string): number {
    const now = this.now();
    let since = Number.NEGATIVE_INFINITY;
    const mark = this.guards.get(tag);
    if (mark !== undefined) {
      if (now - mark > this.staleGuardMs) this.guards.delete(tag);
      else since = mark;
    }
    if (now - this.globalGuard <= this.staleGuardMs) since = Math.max(since, this.globalGuard);
    return since;
  }
}

/** Settles as `work` does, or rejects with StoreTimeoutError after `ms`; the timer is always cleared. */
function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new StoreTimeoutError(ms)), ms);
    // Subscribing here also handles a rejection that arrives after the timeout.
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
