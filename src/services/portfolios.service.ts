import type { Knex } from 'knex';
import { LRUCache } from 'lru-cache';
import { epochMsOf, type Clock } from '../domain/dates';
import { NotFound } from '../domain/errors';
import type { Portfolio } from '../domain/types';
import { findPortfolioByRef, listPortfolios } from '../data/portfolio.repository';
import { assertEntitled, isEntitled, type Actor } from './access';
import * as v from './validate';

/**
 * Portfolios change only by migration or seed (no operation edits one), and every read resolves
 * one before anything else: remembering them for a minute (PORTFOLIO_MEMORY_SECONDS) takes a
 * statement off every request, the cached hit path included. Only found portfolios are remembered.
 */
export const DEFAULT_PORTFOLIO_MEMORY_MS = 60_000;
const REMEMBER_MAX = 10_000;

export interface PortfolioDirectoryOptions {
  /** Refs remembered at most; past it the least recently used go. */
  readonly max?: number;
  /** How long a found portfolio is remembered, from the start of its lookup; 0: never. */
  readonly rememberMs?: number;
}

/**
 * The portfolios one gateway remembers, on its clock (a test moves the clock past the minute
 * instead of waiting for it). A bounded LRU: past REMEMBER_MAX refs the least recently used go.
 */
export class PortfolioDirectory {
  /** Found portfolios by ref (id or code), each for its memory (a minute) from the start of its lookup. */
  private readonly known: LRUCache<string, Portfolio>;
  /** The lookup under way per ref, shared by every miss of that ref until it settles. */
  private readonly pending = new Map<string, Promise<Portfolio | null>>();
  private readonly now: () => number;

  private readonly remembers: boolean;

  constructor(
    private readonly db: Knex,
    clock: Clock,
    options: PortfolioDirectoryOptions = {},
  ) {
    this.now = epochMsOf(clock);
    const rememberMs = options.rememberMs ?? DEFAULT_PORTFOLIO_MEMORY_MS;
    if (!Number.isInteger(rememberMs) || rememberMs < 0) throw new RangeError(`PortfolioDirectory: rememberMs must be a whole number of ms >= 0, got ${rememberMs}`);
    // lru-cache reads a ttl of 0 as "for ever": 0 here remembers nothing instead.
    this.remembers = rememberMs > 0;
    // ttlResolution 0: every check asks the clock (lru-cache would otherwise reuse a reading for
    // a millisecond of real time, which a test's clock move would not end).
    this.known = new LRUCache<string, Portfolio>({ max: options.max ?? REMEMBER_MAX, ttl: Math.max(1, rememberMs), ttlResolution: 0, perf: { now: this.now } });
  }

  /**
   * Concurrent misses of one ref share one statement (single flight, ARCHITECTURE.md invariant 5):
   * a cold burst on a fresh instance otherwise sends one per request. Joining a lookup already
   * under way can never hide a write from the reader, because no write changes a portfolio.
   */
  find(ref: string): Promise<Portfolio | null> {
    const hit = this.known.get(ref);
    if (hit) return Promise.resolve(hit);
    const pending = this.pending.get(ref);
    if (pending) return pending;
    const lookup = this.lookUp(ref);
    this.pending.set(ref, lookup);
    return lookup;
  }

  private async lookUp(ref: string): Promise<Portfolio | null> {
    const start = this.now();
    try {
      const portfolio = await findPortfolioByRef(this.db, ref);
      // Under both its refs: a book found by code names its portfolio by id.
      if (portfolio && this.remembers) for (const key of new Set([ref, portfolio.id, portfolio.code])) this.known.set(key, portfolio, { start });
      return portfolio;
    } finally {
      // Runs before any caller resumes (and always after find registered this lookup, the query
      // being asynchronous): from here on a caller finds the portfolio remembered, or, after a
      // failure or an unknown ref, which are not remembered, sends a statement of its own.
      this.pending.delete(ref);
    }
  }
}

/**
 * A portfolio by id, remembered as above, for a caller that already holds what it belongs to (the
 * book of a portfolio the caller was entitled to): no entitlement check, null when unknown.
 */
export function rememberedPortfolio(portfolios: PortfolioDirectory, id: string): Promise<Portfolio | null> {
  return portfolios.find(id);
}

/**
 * The portfolio `ref` (id or code) if the actor may read it; FORBIDDEN otherwise, exactly as for
 * one that does not exist. The ref is checked first: the cache policy resolves it before any
 * resolver (or the input bounds) runs.
 */
export async function readablePortfolio(portfolios: PortfolioDirectory, actor: Actor, ref: string): Promise<Portfolio> {
  const portfolio = await portfolios.find(v.ref('portfolioId', ref));
  assertEntitled(actor, portfolio, ref);
  if (!portfolio) throw new NotFound('Portfolio', ref);
  return portfolio;
}

/**
 * Whether the actor may read the portfolio of an object it looked up by id (a position, a
 * proposal, a journal entry): a caller that may not is answered as if the object did not exist.
 */
export async function mayRead(portfolios: PortfolioDirectory, actor: Actor, portfolioId: string): Promise<boolean> {
  const portfolio = await portfolios.find(portfolioId);
  return portfolio !== null && isEntitled(actor, portfolio.code);
}

export async function listReadablePortfolios(db: Knex, actor: Actor): Promise<Portfolio[]> {
  return (await listPortfolios(db)).filter((p) => isEntitled(actor, p.code));
}
