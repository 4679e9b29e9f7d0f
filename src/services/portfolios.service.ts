import type { Knex } from 'knex';
import { NotFound } from '../domain/errors';
import type { Portfolio } from '../domain/types';
import { findPortfolioByRef, listPortfolios } from '../data/portfolio.repository';
import { assertEntitled, isEntitled, type Actor } from './access';
import * as v from './validate';

/**
 * Portfolios change only by migration or seed (no operation edits one), and every read resolves
 * one before anything else: remembering them for a minute per database takes a statement off
 * every request, the cached hit path included. Only found portfolios are remembered.
 */
const REMEMBER_MS = 60_000;
const REMEMBER_MAX = 10_000;

interface Directory {
  /** Found portfolios by ref (id or code), each until its expiry. */
  readonly known: Map<string, { readonly portfolio: Portfolio; readonly until: number }>;
  /** The lookup under way per ref, shared by every miss of that ref until it settles. */
  readonly pending: Map<string, Promise<Portfolio | null>>;
}

const directories = new WeakMap<Knex, Directory>();

function directoryOf(db: Knex): Directory {
  let directory = directories.get(db);
  if (!directory) {
    directory = { known: new Map(), pending: new Map() };
    directories.set(db, directory);
  }
  return directory;
}

/**
 * Concurrent misses of one ref share one statement (single flight, ARCHITECTURE.md invariant 5):
 * a cold burst on a fresh instance otherwise sends one per request. Joining a lookup already under
 * way can never hide a write from the reader, because no write changes a portfolio.
 */
function findRemembered(db: Knex, ref: string): Promise<Portfolio | null> {
  const directory = directoryOf(db);
  const hit = directory.known.get(ref);
  if (hit && hit.until > Date.now()) return Promise.resolve(hit.portfolio);
  const pending = directory.pending.get(ref);
  if (pending) return pending;
  const lookup = lookUp(db, directory, ref);
  directory.pending.set(ref, lookup);
  return lookup;
}

async function lookUp(db: Knex, directory: Directory, ref: string): Promise<Portfolio | null> {
  const started = Date.now();
  try {
    const portfolio = await findPortfolioByRef(db, ref);
    if (portfolio) {
      if (directory.known.size >= REMEMBER_MAX) directory.known.clear();
      // Under both its refs: a book found by code names its portfolio by id.
      const remembered = { portfolio, until: started + REMEMBER_MS };
      for (const key of new Set([ref, portfolio.id, portfolio.code])) directory.known.set(key, remembered);
    }
    return portfolio;
  } finally {
    // Runs before any caller resumes (and always after findRemembered registered this lookup, the
    // query being asynchronous): from here on a caller finds the portfolio remembered, or, after a
    // failure or an unknown ref, which are not remembered, sends a statement of its own.
    directory.pending.delete(ref);
  }
}

/**
 * A portfolio by id, remembered as above, for a caller that already holds what it belongs to (the
 * book of a portfolio the caller was entitled to): no entitlement check, null when unknown.
 */
export function rememberedPortfolio(db: Knex, id: string): Promise<Portfolio | null> {
  return findRemembered(db, id);
}

/**
 * The portfolio `ref` (id or code) if the actor may read it; FORBIDDEN otherwise, exactly as for
 * one that does not exist. The ref is checked first: the cache policy resolves it before any
 * resolver (or the input bounds) runs.
 */
export async function readablePortfolio(db: Knex, actor: Actor, ref: string): Promise<Portfolio> {
  const portfolio = await findRemembered(db, v.ref('portfolioId', ref));
  assertEntitled(actor, portfolio, ref);
  if (!portfolio) throw new NotFound('Portfolio', ref);
  return portfolio;
}

/**
 * Whether the actor may read the portfolio of an object it looked up by id (a position, a
 * proposal, a journal entry): a caller that may not is answered as if the object did not exist.
 */
export async function mayRead(db: Knex, actor: Actor, portfolioId: string): Promise<boolean> {
  const portfolio = await findRemembered(db, portfolioId);
  return portfolio !== null && isEntitled(actor, portfolio.code);
}

export async function listReadablePortfolios(db: Knex, actor: Actor): Promise<Portfolio[]> {
  return (await listPortfolios(db)).filter((p) => isEntitled(actor, p.code));
}
