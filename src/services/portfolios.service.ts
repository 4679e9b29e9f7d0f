import type { Knex } from 'knex';
import { NotFound } from '../domain/errors';
import type { Portfolio } from '../domain/types';
import { findPortfolioByRef, listPortfolios } from '../data/portfolio.repository';
import { assertEntitled, isEntitled, type Actor } from './access';

/** The portfolio `ref` (id or code) if the actor may read it; FORBIDDEN otherwise. */
export async function readablePortfolio(db: Knex, actor: Actor, ref: string): Promise<Portfolio> {
  const portfolio = await findPortfolioByRef(db, ref);
  assertEntitled(actor, portfolio, ref);
  if (!portfolio) throw new NotFound('Portfolio', ref);
  return portfolio;
}

export async function listReadablePortfolios(db: Knex, actor: Actor): Promise<Portfolio[]> {
  return (await listPortfolios(db)).filter((p) => isEntitled(actor, p.code));
}
