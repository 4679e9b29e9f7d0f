import type { FormattedExecutionResult } from 'graphql';
import type { FieldReport } from './outcome';
import type { LookupResult } from './store/cache-store';

/** A miss of the operation cache to fill once the operation has executed. */
export interface MissTicket {
  readonly tag: string;
  readonly baseKey: string;
  readonly generations: readonly number[];
  readonly ttlSeconds: number;
  readonly startedAt: number;
}

/** An expected miss: its ticket, and the response once the operation cache's plugin found it storable. */
export interface PendingFill {
  readonly ticket: MissTicket;
  result: FormattedExecutionResult | null;
}

/**
 * What the cache knows of one request, in one place: the field reports of `extensions.cache`, the
 * operation cache's expected miss and the root fields' lookups it already made. Created at most
 * once per request, by the first step that needs it (`cacheStateOf`): a hit of the operation cache
 * and a request that resolves no cached field never create one.
 *
 * It is an object held by the context, not properties of the context: Apollo may hand plugins a
 * shallow copy of the context (`executeOperation` does), which shares the holder, so what the
 * plugins write into a state created before execution the server reads back on its own context.
 */
export class CacheRequestState {
  /** The reports of the cached fields resolved so far (`extensions.cache`), in resolution order. */
  reports: FieldReport[] | null = null;
  /** The operation cache's miss, set by `serve` before execution, filled after the response. */
  pendingFill: PendingFill | null = null;
  /**
   * Lookups of root fields the operation cache made in its own round trip, by the fields' base keys:
   * a root field with one uses it instead of asking the store again.
   */
  offeredLookups: Map<string, LookupResult> | null = null;
  /**
   * The operation cache's store read (a read ticket of the single flight), open until every root
   * field has acted on its offered lookup, or until the request ends: meanwhile a result that
   * read may have missed stays joinable (single-flight.ts).
   */
  offeredRead: number | null = null;

  /**
   * Whether the operation cache stores this request's whole response: its root fields' own entries
   * would hold the same data a second time, so on such a miss they are not written.
   */
  get storedWhole(): boolean {
    return this.pendingFill !== null;
  }

  /**
   * A root field took its offered lookup and acted on it: the operation cache's read ticket once
   * every root field has (the caller closes it), else null.
   */
  tookOffer(baseKey: string): number | null {
    const offered = this.offeredLookups;
    return offered?.delete(baseKey) && offered.size === 0 ? this.takeOfferedRead() : null;
  }

  /** The operation cache's read ticket, if still open, for the caller to close; null afterwards. */
  takeOfferedRead(): number | null {
    const ticket = this.offeredRead;
    this.offeredRead = null;
    return ticket;
  }
}

/**
 * What the cache asks of an application's context type: one slot for its per-request state,
 * which the cache fills when a request needs one. Declared by the context, so nothing rides on it
 * unseen.
 */
export interface CacheContext {
  cacheState?: CacheRequestState;
}

/** The request's cache state, created on first use. */
export function cacheStateOf(context: CacheContext): CacheRequestState {
  return (context.cacheState ??= new CacheRequestState());
}
