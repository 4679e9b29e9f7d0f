import type { Knex } from 'knex';
import type { Decimal } from '../domain/decimal';
import { findInstrumentByTicker } from '../data/instrument.repository';
import { latestPricesOnOrBefore } from '../data/market.repository';
import type { IsoDate } from '../domain/types';

/** The instrument whose closes are the BRL per USD rate used to convert P&L to USD. */
export const FX_TICKER = 'USDBRL';

/** BRL per USD on `date`: the latest USDBRL close on or before it, or null when none exists. */
export async function fxRateOn(db: Knex, date: IsoDate): Promise<{ rate: Decimal; date: IsoDate } | null> {
  const usdbrl = await findInstrumentByTicker(db, FX_TICKER);
  if (!usdbrl) return null;
  const price = (await latestPricesOnOrBefore(db, [usdbrl.id], date)).get(usdbrl.id);
  return price ? { rate: price.close, date: price.date } : null;
}
