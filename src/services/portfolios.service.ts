import type { Knex } from 'knex';
import { NotFound } from '../domain/errors';
import type { Portfolio } from '../domain/types';
import { findPortfolioByRef, listPortfolios } from '../data/portfolio.repository';
import { assertEntitled, isEntitled, type Actor } from './access';

/**
 * Portfolios change only by migration or seed (no operation edits one), and every read resolves
 * one before anything else: remembering them for a minute per database takes a statement off
 * every request, the cached hit path included. Only found portfolios are remembered.
 */
const REMEMBER_MS = 60_000;
const directory = new WeakMap<Knex, Map<string, { readonly portfolio: Portfolio; readonly until: number }>>();

async function findRemembered(db: Knex, ref: string): Promise<Portfolio | null> {
  let known = directory.get(db);
  if (!known) {
    known = new Map();
    directory.set(db, known);
  }
  const now = Date.now();
  const hit = known.get(ref);
  if (hit && hit.until > now) return hit.portfolio;
  const portfolio = await findPortfolioByRef(db, ref);
  if (portfolio) {
    if (known.size >= 10_000) known.clear();
    known.set(ref, { portfolio, until: now + REMEMBER_MS });
  }
  return portfolio;
}

/** The portfolio `ref` (id or code) if the actor may read it; FORBIDDEN otherwise. */
export async function readablePortfolio(db: Knex, actor: Actor, ref: string): Promise<Portfolio> {
  const portfolio = await findRemembered(db, ref);
  assertEntitled(actor, portfolio, ref);
  if (!portfolio) throw new NotFound('Portfolio', ref);
  return portfolio;
}

export async function listReadablePortfolios(db: Knex, actor: Actor): Promise<Portfolio[]> {
  return (await listPortfolios(db)).filter((p) => isEntitled(actor, p.code));
}
