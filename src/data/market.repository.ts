import type { Knex } from 'knex';
import type { IsoDate, MarketPrice, MarketSeriesPoint } from '../domain/types';
import { decimal, isoDate, type Row } from './rows';

function toMarketPrice(row: Row): MarketPrice {
  return { instrumentId: String(row.instrument_id), date: isoDate(row.date), close: decimal(row.close) };
}

/** The latest close on or before `asOf` of each instrument, in one query (DISTINCT ON). */
export async function latestPricesOnOrBefore(
  db: Knex,
  instrumentIds: readonly string[],
  asOf: IsoDate,
): Promise<Map<string, MarketPrice>> {
  if (instrumentIds.length === 0) return new Map();
  const rows: Row[] = await db('market_prices')
    .distinctOn('instrument_id')
    .select('instrument_id', 'date', 'close')
    .whereIn('instrument_id', instrumentIds)
    .andWhere('date', '<=', asOf)
    .orderBy([{ column: 'instrument_id' }, { column: 'date', order: 'desc' }]);
  return new Map(rows.map((r) => [String(r.instrument_id), toMarketPrice(r)]));
}

export async function upsertMarketPrices(db: Knex, prices: readonly MarketPrice[]): Promise<void> {
  if (prices.length === 0) return;
  await db('market_prices')
    .insert(prices.map((p) => ({ instrument_id: p.instrumentId, date: p.date, close: p.close.toFixed() })))
    .onConflict(['instrument_id', 'date'])
    .merge(['close']);
}

/** The latest value on or before `asOf` of every tracked series. */
export async function latestSeriesOnOrBefore(db: Knex, asOf: IsoDate): Promise<MarketSeriesPoint[]> {
  const rows: Row[] = await db('market_series')
    .distinctOn('series')
    .select('series', 'date', 'value')
    .where('date', '<=', asOf)
    .orderBy([{ column: 'series' }, { column: 'date', order: 'desc' }]);
  return rows.map((r) => ({ series: String(r.series), date: isoDate(r.date), value: Number(r.value) }));
}

export async function upsertSeries(db: Knex, points: readonly MarketSeriesPoint[]): Promise<void> {
  if (points.length === 0) return;
  await db('market_series')
    .insert(points.map((p) => ({ series: p.series, date: p.date, value: p.value })))
    .onConflict(['series', 'date'])
    .merge(['value']);
}
