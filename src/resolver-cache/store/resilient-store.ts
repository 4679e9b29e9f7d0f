import type {
  CacheStore, EntryRequest, LockOutcome, LockRequest, LookupBytesOutcome, LookupBytesRequest, LookupOutcome, LookupRequest, PutRequest,
  RaiseRequest, StoreUnavailable, UnavailableReason, WriteOutcome,
} from './cache-store';
import { systemNow, type Now } from '../clock';

export type { StoreUnavailable, UnavailableReason } from './cache-store';

/** An unavailable outcome as an error, for a caller that must fail when the store cannot answer. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(readonly reason: UnavailableReason) {
    super(`cache store unavailable (${reason})`);
  }
}

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface ResilientStoreOptions {
  /** Bound of each call in ms. */
  readonly timeoutMs?: number;
  /** Consecutive failed calls (errors or timeouts) that open the circuit. */
  readonly failureThreshold?: number;
  /** How long the circuit stays open, in ms, before one probe call is let through. */
  readonly openMs?: number;
  /** Epoch ms, for the breaker; injectable for tests. */
  readonly now?: Now;
  /** Called once per state change, never per request: the server logs it. */
  readonly onStateChange?: (from: CircuitState, to: CircuitState, reason: string) => void;
}

export interface ResilientStoreStats {
  readonly state: CircuitState;
  /** Calls made to this store (lookup, put, raise, ttlMs), short-circuited ones included. */
  readonly calls: number;
  /** Calls that reached the inner store and failed: errors plus timeouts. */
  readonly failures: number;
  /** Of the failures, those that did not answer within timeoutMs. */
  readonly timeouts: number;
  /** Calls refused without touching the inner store because the circuit was open. */
  readonly shortCircuits: number;
  /**
   * Calls that did not answer in time while this process's event loop was late: the timer fired
   * more than half a timeout after it was due, so the store is not blamed (the breaker ignores them).
   */
  readonly lateTimeouts: number;
}

const DEFAULT_TIMEOUT_MS = 100;
const DEFAULT_FAILURE_THRESHOLD = 5;
const DEFAULT_OPEN_MS = 5_000;
/**
 * A timer this late (or half a timeout, if more) means the event loop was blocked: below it, the
 * scheduling jitter of a busy process, the store is blamed as usual.
 */
const MIN_LATE_MS = 50;

/** The unavailable outcomes, one per reason: shared, never allocated per call. */
const UNAVAILABLE: Readonly<Record<UnavailableReason, StoreUnavailable>> = {
  timeout: Object.freeze({ kind: 'unavailable', reason: 'timeout' }),
  error: Object.freeze({ kind: 'unavailable', reason: 'error' }),
  'circuit-open': Object.freeze({ kind: 'unavailable', reason: 'circuit-open' }),
};

class StoreTimeoutError extends Error {
  /** How late the timer fired, in ms, past its due time (event-loop delay). */
  constructor(
    ms: number,
    readonly lateMs: number,
  ) {
    super(`cache store did not answer within ${ms} ms`);
    this.name = 'StoreTimeoutError';
  }
}

type Admission = 'normal' | 'probe';
type Attempt<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: UnavailableReason };

/** The adapter's answer, or unavailable: a store that itself answered unavailable is passed through. */
function outcomeOf<T>(attempt: Attempt<T | StoreUnavailable>): T | StoreUnavailable {
  return attempt.ok ? attempt.value : UNAVAILABLE[attempt.reason];
}

/**
 * Wraps a CacheStore so that a failing or slow store never fails or stalls a request
 * (invariant 2): every call is bounded by timeoutMs and never rejects: what the store could not
 * do it answers `unavailable` with the reason (the port's unions), and ttlMs null. Failures feed
 * a circuit breaker that, while open, answers without touching the store. It has the inner
 * store's capabilities (lookupBytes, acquireLock, ttlMs), through the same breaker, and no others.
 *
 * Nothing is remembered for later: invalidations are not this store's to keep. The generations
 * are committed by the application and every process holds them as floors (generations.ts), so
 * a raise that fails costs nothing but a script on the next lookup, which raises the counters.
 *
 * The breaker blames the store only for its own failures. A timeout is checked once more after
 * the event loop has polled I/O (a reply that arrived while the loop was blocked is taken), and a
 * timer that fired more than half a timeout (and at least MIN_LATE_MS) late is the process's
 * delay, not the store's: the call is unavailable for its request, but it does not count towards
 * opening the circuit.
 */
export class ResilientStore implements CacheStore {
  private readonly inner: CacheStore;
  private readonly timeoutMs: number;
  private readonly failureThreshold: number;
  private readonly openMs: number;
  private readonly now: Now;
  private readonly onStateChange: ResilientStoreOptions['onStateChange'];

  private circuit: CircuitState = 'closed';
  private consecutiveFailures = 0;
  private openedAt = 0;
  private probing = false;
  private lastFailure = '';

  private readonly counters = {
    calls: 0,
    failures: 0,
    timeouts: 0,
    shortCircuits: 0,
    lateTimeouts: 0,
  };

  readonly lookupBytes?: (request: LookupBytesRequest) => Promise<LookupBytesOutcome>;
  readonly acquireLock?: (request: LockRequest) => Promise<LockOutcome>;
  readonly ttlMs?: (request: EntryRequest) => Promise<number | null>;

  constructor(inner: CacheStore, options: ResilientStoreOptions = {}) {
    this.inner = inner;
    // The inner store's capabilities, each through the breaker; none it does not have.
    const lookupBytes = inner.lookupBytes?.bind(inner);
    const acquireLock = inner.acquireLock?.bind(inner);
    const ttlMs = inner.ttlMs?.bind(inner);
    if (lookupBytes) this.lookupBytes = async (request) => outcomeOf(await this.attempt(() => lookupBytes(request)));
    if (acquireLock) this.acquireLock = async (request) => outcomeOf(await this.attempt(() => acquireLock(request)));
    if (ttlMs) {
      this.ttlMs = async (request) => {
        const attempt = await this.attempt(() => ttlMs(request));
        return attempt.ok ? attempt.value : null;
      };
    }
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.failureThreshold = options.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD;
    this.openMs = options.openMs ?? DEFAULT_OPEN_MS;
    this.now = options.now ?? systemNow;
    this.onStateChange = options.onStateChange;
    if (!(this.timeoutMs > 0) || !(this.failureThreshold >= 1) || !(this.openMs >= 0)) {
      throw new RangeError('ResilientStore: timeoutMs > 0, failureThreshold >= 1 and openMs >= 0 are required');
    }
  }

  get state(): CircuitState {
    return this.circuit;
  }

  stats(): ResilientStoreStats {
    return { state: this.circuit, ...this.counters };
  }

  async lookup(request: LookupRequest): Promise<LookupOutcome> {
    return outcomeOf(await this.attempt(() => this.inner.lookup(request)));
  }

  /** A write that did not happen is a miss later, nothing worse. */
  async put(request: PutRequest): Promise<WriteOutcome> {
    return outcomeOf(await this.attempt(() => this.inner.put(request)));
  }

  async raise(request: RaiseRequest): Promise<WriteOutcome> {
    if (request.facts.length === 0) return { kind: 'written' };
    return outcomeOf(await this.attempt(() => this.inner.raise(request)));
  }

  async close(): Promise<void> {
    await this.inner.close();
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
      if (error instanceof StoreTimeoutError && error.lateMs > Math.max(this.timeoutMs / 2, MIN_LATE_MS)) {
        // The process was late, not the store: the request goes on without the store, the
        // breaker does not count it. A probe that was late is let through again.
        this.counters.lateTimeouts += 1;
        if (admission === 'probe') this.probing = false;
        return { ok: false, reason: 'timeout' };
      }
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
}

/**
 * Settles as `work` does, or rejects with StoreTimeoutError once `ms` have passed and the event
 * loop has polled I/O once more: a reply that arrived while the loop was blocked settles `work`
 * in that poll, before the check (setImmediate) that would time it out. The error says how late
 * the timer fired. The timer is always cleared.
 */
function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const started = performance.now();
    let settled = false;
    const timer = setTimeout(() => {
      const lateMs = performance.now() - started - ms;
      setImmediate(() => {
        if (settled) return;
        settled = true;
        reject(new StoreTimeoutError(ms, lateMs));
      });
    }, ms);
    // Subscribing here also handles a rejection that arrives after the timeout.
    work.then(
      (value) => {
        clearTimeout(timer);
        if (settled) return;
        settled = true;
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        if (settled) return;
        settled = true;
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
