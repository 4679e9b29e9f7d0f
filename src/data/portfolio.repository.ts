import type { Knex } from 'knex';
import type { Portfolio } from '../domain/types';
import { decimal, isoDate, isUuid, uuidsOnly, type Row } from './rows';

const COLUMNS = ['id', 'code', 'name', 'base_currency', 'aum_brl', 'inception_date'];

export function toPortfolio(row: Row): Portfolio {
  return {
    id: String(row.id),
    code: String(row.code),
    name: String(row.name),
    baseCurrency: String(row.base_currency).trim(),
    aumBrl: decimal(row.aum_brl),
    inceptionDate: isoDate(row.inception_date),
  };
}

export async function listPortfolios(db: Knex, ids?: readonly string[]): Promise<Portfolio[]> {
  const q = db('portfolios').select(COLUMNS).orderBy('code');
  if (ids) q.whereIn('id', uuidsOnly(ids));
  return (await q).map(toPortfolio);
}

/** Portfolios with at least one open position: those a desk reads (cache warming computes theirs). */
export async function listActivePortfolios(db: Knex): Promise<Portfolio[]> {
  const rows = await db('portfolios')
    .select(COLUMNS)
    .whereExists(db('positions').select(db.raw('1')).whereRaw('positions.portfolio_id = portfolios.id').andWhere('positions.is_open', true))
    .orderBy('code');
  return rows.map(toPortfolio);
}

export async function findPortfoliosByIds(db: Knex, ids: readonly string[]): Promise<Portfolio[]> {
  return listPortfolios(db, ids);
}

/**
 * Locks the portfolio row for the rest of the transaction: writes of one portfolio serialize. It
 * is the first row lock of every write; positions, then proposals, come after it (ARCHITECTURE.md,
 * invariant 7), so two writes never wait on each other crosswise.
 */
export async function lockPortfolio(trx: Knex.Transaction, id: string): Promise<Portfolio | null> {
  const row = await trx('portfolios').select(COLUMNS).where({ id }).forUpdate().first();
  return row ? toPortfolio(row) : null;
}

export async function insertPortfolio(
  db: Knex,
  p: Omit<Portfolio, 'id'> & { id?: string },
): Promise<Portfolio> {
  const [row] = await db('portfolios')
    .insert({
      id: p.id,
      code: p.code,
      name: p.name,
      base_currency: p.baseCurrency,
      aum_brl: p.aumBrl.toFixed(),
      inception_date: p.inceptionDate,
    })
    .returning(COLUMNS);
  return toPortfolio(row as Row);
}

export async function countPortfolios(db: Knex): Promise<number> {
  const row = await db('portfolios').count<{ count: string | number }[]>({ count: '*' }).first();
  return Number(row?.count ?? 0);
}

/** A portfolio is addressed by its id or by its code (`MACRO_FUND_1`); both resolve to the row. */
export async function findPortfolioByRef(db: Knex, ref: string): Promise<Portfolio | null> {
  const row = await db('portfolios')
    .select(COLUMNS)
    .where(isUuid(ref) ? { id: ref } : { code: ref })
    .first();
  return row ? toPortfolio(row) : null;
}
