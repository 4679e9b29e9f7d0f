import type { Knex } from 'knex';
import type { AssetClass, Instrument, PriceConvention } from '../domain/types';
import { decimal, type Row, uuidsOnly } from './rows';

const COLUMNS = ['id', 'ticker', 'name', 'asset_class', 'price_convention', 'cost_bps'];

export function toInstrument(row: Row): Instrument {
  return {
    id: String(row.id),
    ticker: String(row.ticker),
    name: String(row.name),
    assetClass: row.asset_class as AssetClass,
    priceConvention: row.price_convention as PriceConvention,
    costBps: decimal(row.cost_bps),
  };
}

export async function findInstrumentsByIds(db: Knex, ids: readonly string[]): Promise<Instrument[]> {
  const valid = uuidsOnly(ids);
  if (valid.length === 0) return [];
  return (await db('instruments').select(COLUMNS).whereIn('id', valid)).map(toInstrument);
}

export async function findInstrumentByTicker(db: Knex, ticker: string): Promise<Instrument | null> {
  const row = await db('instruments').select(COLUMNS).where({ ticker }).first();
  return row ? toInstrument(row) : null;
}

export async function findInstrumentsByTickers(db: Knex, tickers: readonly string[]): Promise<Instrument[]> {
  return (await db('instruments').select(COLUMNS).whereIn('ticker', tickers)).map(toInstrument);
}

export async function insertInstrument(db: Knex, i: Omit<Instrument, 'id'>): Promise<Instrument> {
  const [row] = await db('instruments')
    .insert({
      ticker: i.ticker,
      name: i.name,
      asset_class: i.assetClass,
      price_convention: i.priceConvention,
      cost_bps: i.costBps.toFixed(),
    })
    .returning(COLUMNS);
  return toInstrument(row as Row);
}

/**
 * Inserts the instruments whose ticker is not there yet and returns all of the given tickers.
 * Instruments are global (shared by every portfolio that trades them): an existing row is kept as
 * it is, id and cost included. ON CONFLICT DO NOTHING makes concurrent callers safe.
 */
export async function insertInstrumentsIfAbsent(
  db: Knex,
  instruments: readonly Omit<Instrument, 'id'>[],
): Promise<Instrument[]> {
  if (instruments.length === 0) return [];
  await db('instruments')
    .insert(
      instruments.map((i) => ({
        ticker: i.ticker,
        name: i.name,
        asset_class: i.assetClass,
        price_convention: i.priceConvention,
        cost_bps: i.costBps.toFixed(),
      })),
    )
    .onConflict('ticker')
    .ignore();
  return findInstrumentsByTickers(db, instruments.map((i) => i.ticker));
}
