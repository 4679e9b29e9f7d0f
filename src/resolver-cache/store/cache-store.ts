/**
 * The port between the resolver cache and where it keeps things. Adapters: Redis (single node or
 * Cluster) and an in-process memory store. The contract suite in cache-store.contract.ts runs
 * against every adapter.
 *
 * Invalidation is by fact generations: every fact (e.g. `positions:<portfolio>`) has a counter;
 * an entry is stored under its base key plus the generations it was computed under, so bumping a
 * generation makes every dependent entry unreachable in O(1), with no key scan. All keys of one
 * request share a `tag` (in Redis Cluster a hash tag: one slot, one node, one round trip).
 */
export interface CacheStore {
  /**
   * In one round trip: the current generation of each fact, then the entry stored under `baseKey`
   * at exactly those generations: `hit` with it, `miss` without (absent or expired), each with the
   * generations (a miss stores under them). A fact's generation is never below its floor in
   * `request.floors`: a counter that is absent or behind it (a restarted store, one restored from
   * an old snapshot, a raise that never arrived) is raised to it first. `unavailable` when the
   * store could not answer (ResilientStore: timeout, error, open circuit); a bare adapter may
   * reject instead, which callers take as unavailable.
   */
  lookup(request: LookupRequest): Promise<LookupOutcome>;

  /** Stores `value` under `baseKey` at `generations` (those returned by lookup) with a TTL. */
  put(request: PutRequest): Promise<WriteOutcome>;

  /**
   * Raises the generation of each fact (all under one tag) to at least the given one; never
   * lowers a counter. Generations are issued by the application's source of truth, not here.
   */
  raise(request: RaiseRequest): Promise<WriteOutcome>;

  /** Releases connections and timers. */
  close(): Promise<void>;

  // Optional capabilities: feature-detected, never required of an adapter.

  /**
   * Capability: lookup with the entry's value as the bytes it is stored as (UTF-8), not decoded:
   * for values written to a socket as they are (the operation cache's stored responses). In the
   * same round trip, the entries of `request.alongside` (decoded, as lookup returns them), read at
   * the same instant; when the entry itself is found, a store may skip them. Without it, the
   * operation cache uses lookup and encodes the value.
   */
  lookupBytes?(request: LookupBytesRequest): Promise<LookupBytesOutcome>;

  /**
   * Capability: takes the lock `name` for `owner` until `ttlMs` have passed, unless anyone holds it
   * (its owner too: not reentrant). For work one process at a time should do (scheduled warming):
   * every process sharing the store must see the same lock. It expires rather than being
   * released, so a holder that dies frees it by itself. Without it, the store is taken to be one
   * process's.
   */
  acquireLock?(request: LockRequest): Promise<LockOutcome>;

  /** Capability: remaining time to live of an entry in ms, null when absent. For tests and diagnostics. */
  ttlMs?(request: EntryRequest): Promise<number | null>;
}

/**
 * Why a call did not reach the store: it did not answer within its timeout, it answered with an
 * error, or the circuit is open and the call was not even tried.
 */
export type UnavailableReason = 'timeout' | 'error' | 'circuit-open';

export interface StoreUnavailable {
  readonly kind: 'unavailable';
  readonly reason: UnavailableReason;
}

/** What an adapter that answered says of a lookup: the entry at the current generations, or none. */
export type LookupResult =
  | { readonly kind: 'hit'; readonly generations: readonly number[]; readonly entry: CacheEntry }
  | { readonly kind: 'miss'; readonly generations: readonly number[]; readonly entry: null };

export type LookupOutcome = LookupResult | StoreUnavailable;

export type LookupBytesResult =
  | { readonly kind: 'hit'; readonly generations: readonly number[]; readonly entry: CacheBytesEntry }
  | {
    readonly kind: 'miss';
    readonly generations: readonly number[];
    readonly entry: null;
    /** One per `alongside` key (null when absent), when the store read them. */
    readonly alongside?: readonly (CacheEntry | null)[];
  };

export type LookupBytesOutcome = LookupBytesResult | StoreUnavailable;

/**
 * `unavailable`: nothing was written. For a put, a miss later; for a raise, nothing is lost: the
 * generations were committed by the application, every process's floors carry them, and the next
 * lookup of the facts raises the counters.
 */
export type WriteOutcome = { readonly kind: 'written' } | StoreUnavailable;

/** `held`: someone (this process too) holds the lock. */
export type LockOutcome = { readonly kind: 'acquired' } | { readonly kind: 'held' } | StoreUnavailable;

/** The answers that carry nothing but their kind: shared, never allocated per call. */
export const WRITTEN: WriteOutcome = Object.freeze({ kind: 'written' });
export const ACQUIRED: LockOutcome = Object.freeze({ kind: 'acquired' });
export const HELD: LockOutcome = Object.freeze({ kind: 'held' });

/** A lookup's answer from generations and the entry found at them (null: none). */
export function lookupResult(generations: readonly number[], entry: CacheEntry | null): LookupResult {
  return entry === null ? { kind: 'miss', generations, entry } : { kind: 'hit', generations, entry };
}

/** For `default` branches of switches over outcomes: a kind no branch handles does not compile. */
export function assertNever(value: never): never {
  throw new Error(`unexpected outcome: ${JSON.stringify(value)}`);
}

/** An entry by its full key (for ttlMs). */
export type EntryRequest = Pick<PutRequest, 'tag' | 'baseKey' | 'generations'>;

export interface LockRequest {
  /** Which lock, e.g. `warm`. */
  readonly name: string;
  /** Who holds it (for diagnostics): e.g. the host and process id. */
  readonly owner: string;
  /** How long it is held, ms (positive). */
  readonly ttlMs: number;
}

export interface LookupRequest {
  /** Scope shared by every key of the request, e.g. a portfolio id. */
  readonly tag: string;
  /** Fact names the entry depends on, in a stable order. */
  readonly facts: readonly string[];
  /** Hash of the schema coordinate, normalized arguments and scope. */
  readonly baseKey: string;
  /**
   * The lowest generation each fact may have, in `facts` order (the committed generations the
   * caller knows of); 0 for every fact when absent.
   */
  readonly floors?: readonly number[];
}

export interface LookupBytesRequest extends LookupRequest {
  /**
   * The TTL entries of this key are stored with, when the caller knows it: a store that keeps
   * local copies of entries it returned (RedisStore with localCopyMaxBytes) keeps them no longer.
   */
  readonly ttlSeconds?: number;
  /**
   * Other entries of the same tag, each stored at the generations of some of `facts`: what the
   * caller would look up next if the entry is missing (the operation cache: its root fields').
   * A function, called only when the store reads them: a hit served without them costs nothing.
   */
  readonly alongside?: () => readonly AlongsideKey[];
}

export interface AlongsideKey {
  readonly baseKey: string;
  /** Indexes into the request's `facts`, in the order of this entry's own facts. */
  readonly factIndexes: readonly number[];
}

export interface CacheEntry {
  readonly value: string;
  /** Epoch ms when the entry was stored (for the age reported to clients). */
  readonly storedAt: number;
}

export interface CacheBytesEntry {
  /** The value's UTF-8 bytes, possibly a view into a larger buffer or the very buffer a memory store keeps: never modify it. */
  readonly bytes: Buffer;
  readonly storedAt: number;
}

export interface PutRequest {
  readonly tag: string;
  readonly baseKey: string;
  readonly generations: readonly number[];
  /** Text, or its UTF-8 bytes (not modified after, a memory store keeps them): either reads back through lookup and lookupBytes alike. */
  readonly value: string | Buffer;
  readonly ttlSeconds: number;
  readonly storedAt: number;
}

export interface RaiseRequest {
  readonly tag: string;
  readonly facts: readonly string[];
  /** One per fact, in the same order. */
  readonly generations: readonly number[];
}
