import type { Knex } from 'knex';
import type { IsoDate } from '../domain/types';
import { isoDate, timestamp, type Row } from './rows';

/** A stored morning pack: sections are the JSON document built by the domain, stored as is. */
export interface StoredMorningPack {
  readonly id: string;
  readonly portfolioId: string;
  readonly briefingDate: IsoDate;
  readonly generatedAt: Date;
  readonly generatedBy: string;
  readonly sections: unknown;
}

const COLUMNS = ['id', 'portfolio_id', 'briefing_date', 'generated_at', 'generated_by', 'sections'];

function toPack(row: Row): StoredMorningPack {
  return {
    id: String(row.id),
    portfolioId: String(row.portfolio_id),
    briefingDate: isoDate(row.briefing_date),
    generatedAt: timestamp(row.generated_at),
    generatedBy: String(row.generated_by),
    sections: typeof row.sections === 'string' ? JSON.parse(row.sections) : row.sections,
  };
}

/** The pack of `date`, or the latest one when `date` is omitted. */
export async function findMorningPack(db: Knex, portfolioId: string, date?: IsoDate): Promise<StoredMorningPack | null> {
  const q = db('morning_packs').select(COLUMNS).where({ portfolio_id: portfolioId });
  if (date) q.andWhere({ briefing_date: date });
  const row = await q.orderBy('briefing_date', 'desc').first();
  return row ? toPack(row) : null;
}

export async function listMorningPacks(
  db: Knex,
  portfolioId: string,
  range: { readonly from?: IsoDate; readonly to?: IsoDate; readonly limit: number },
): Promise<StoredMorningPack[]> {
  const q = db('morning_packs').select(COLUMNS).where({ portfolio_id: portfolioId }).orderBy('briefing_date', 'desc').limit(range.limit);
  if (range.from) q.andWhere('briefing_date', '>=', range.from);
  if (range.to) q.andWhere('briefing_date', '<=', range.to);
  return (await q).map(toPack);
}

export async function upsertMorningPack(
  db: Knex,
  p: Omit<StoredMorningPack, 'id'>,
): Promise<StoredMorningPack> {
  const [row] = await db('morning_packs')
    .insert({
      portfolio_id: p.portfolioId,
      briefing_date: p.briefingDate,
      generated_at: p.generatedAt,
      generated_by: p.generatedBy,
      sections: JSON.stringify(p.sections),
    })
    .onConflict(['portfolio_id', 'briefing_date'])
    .merge(['generated_at', 'generated_by', 'sections'])
    .returning(COLUMNS);
  return toPack(row as Row);
}
