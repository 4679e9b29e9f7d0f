import type { Knex } from 'knex';
import type { Decimal } from '../domain/decimal';
import type { DailyPnl, IsoDate, PnlSnapshot } from '../domain/types';
import { count, decimal, isoDate, numeric, type Row } from './rows';

const COLUMNS = [
  'id', 'date', 'position_id', 'portfolio_id', 'mark_price', 'unrealized_pnl_brl', 'unrealized_pnl_usd',
  'daily_pnl_brl', 'daily_pnl_usd', 'realized_pnl_brl', 'fx_rate', 'is_manual_override',
];

export function toSnapshot(row: Row): PnlSnapshot {
  return {
    id: String(row.id),
    date: isoDate(row.date),
    positionId: String(row.position_id),
    portfolioId: String(row.portfolio_id),
    markPrice: decimal(row.mark_price),
    unrealizedPnlBrl: decimal(row.unrealized_pnl_brl),
    unrealizedPnlUsd: decimal(row.unrealized_pnl_usd),
    dailyPnlBrl: decimal(row.daily_pnl_brl),
    dailyPnlUsd: decimal(row.daily_pnl_usd),
    realizedPnlBrl: decimal(row.realized_pnl_brl),
    fxRate: decimal(row.fx_rate),
    isManualOverride: Boolean(row.is_manual_override),
  };
}

export async function listSnapshots(
  db: Knex,
  portfolioId: string,
  range: { readonly from: IsoDate; readonly to: IsoDate },
): Promise<PnlSnapshot[]> {
  const rows: Row[] = await db('pnl_snapshots')
    .select(COLUMNS)
    .where('portfolio_id', portfolioId)
    .andWhereBetween('date', [range.from, range.to])
    .orderBy([{ column: 'date' }, { column: 'position_id' }]);
  return rows.map(toSnapshot);
}

/**
 * The latest snapshot strictly before `date` of each position: the base a day's P&L is measured
 * against, so that a second MTM on the same day replaces rather than adds.
 */
export async function previousSnapshots(
  db: Knex,
  positionIds: readonly string[],
  date: IsoDate,
): Promise<Map<string, PnlSnapshot>> {
  if (positionIds.length === 0) return new Map();
  const rows: Row[] = await db('pnl_snapshots')
    .distinctOn('position_id')
    .select(COLUMNS)
    .whereIn('position_id', positionIds)
    .andWhere('date', '<', date)
    .orderBy([{ column: 'position_id' }, { column: 'date', order: 'desc' }]);
  return new Map(rows.map((r) => [String(r.position_id), toSnapshot(r)]));
}

/**
 * The date of the latest snapshot of a position, null when it has none. A close may not be dated
 * before it: the snapshots after the close date would stay in the daily series of a position that
 * no longer existed then, and its daily P&L would no longer sum to its realized P&L.
 */
export async function latestSnapshotDate(db: Knex, positionId: string): Promise<IsoDate | null> {
  const row = (await db('pnl_snapshots').max({ latest: 'date' }).where('position_id', positionId).first()) as Row | undefined;
  return row?.latest === null || row?.latest === undefined ? null : isoDate(row.latest);
}

/** The number of snapshots of each position dated on or before `date`; positions without any are absent. */
export async function countSnapshotsOnOrBefore(
  db: Knex,
  positionIds: readonly string[],
  date: IsoDate,
): Promise<Map<string, number>> {
  if (positionIds.length === 0) return new Map();
  const rows: Row[] = await db('pnl_snapshots')
    .select('position_id')
    .count({ n: '*' })
    .whereIn('position_id', positionIds)
    .andWhere('date', '<=', date)
    .groupBy('position_id');
  return new Map(rows.map((r) => [String(r.position_id), count(r.n)]));
}

/** Σ dailyPnl per date of a portfolio: its daily P&L series, oldest first. */
export async function dailyPnlSeries(
  db: Knex,
  portfolioId: string,
  range: { readonly from?: IsoDate; readonly to: IsoDate },
): Promise<DailyPnl[]> {
  const q = db('pnl_snapshots')
    .select('date')
    .sum({ pnl: 'daily_pnl_brl' })
    .where('portfolio_id', portfolioId)
    .andWhere('date', '<=', range.to)
    .groupBy('date')
    .orderBy('date');
  if (range.from) q.andWhere('date', '>=', range.from);
  const rows: Row[] = await q;
  return rows.map((r) => ({ date: isoDate(r.date), pnlBrl: decimal(r.pnl) }));
}

/**
 * Σ dailyPnl per position of a portfolio over [from, to] (inclusive), summed by Postgres: its
 * `numeric` sum is exact, so this equals adding the rows' Decimals, without loading the rows.
 * Positions without a snapshot in the range are absent, not zero.
 */
export async function sumPnlByPosition(
  db: Knex,
  portfolioId: string,
  range: { readonly from: IsoDate; readonly to: IsoDate },
): Promise<Map<string, Decimal>> {
  const rows: Row[] = await db('pnl_snapshots')
    .select('position_id')
    .sum({ pnl: 'daily_pnl_brl' })
    .where('portfolio_id', portfolioId)
    .andWhereBetween('date', [range.from, range.to])
    .groupBy('position_id')
    .orderBy('position_id');
  return new Map(rows.map((r) => [String(r.position_id), decimal(r.pnl)]));
}

export interface SnapshotWrite {
  readonly date: IsoDate;
  readonly positionId: string;
  readonly portfolioId: string;
  readonly markPrice: Decimal;
  readonly unrealizedPnlBrl: Decimal;
  readonly unrealizedPnlUsd: Decimal;
  readonly dailyPnlBrl: Decimal;
  readonly dailyPnlUsd: Decimal;
  readonly realizedPnlBrl: Decimal;
  readonly fxRate: Decimal;
  readonly isManualOverride: boolean;
}

/** Insert or replace the snapshot of (date, position): unique per day, a second MTM updates it. */
export async function upsertSnapshots(db: Knex, snapshots: readonly SnapshotWrite[], now: Date): Promise<void> {
  if (snapshots.length === 0) return;
  await db('pnl_snapshots')
    .insert(
      snapshots.map((s) => ({
        date: s.date,
        position_id: s.positionId,
        portfolio_id: s.portfolioId,
        mark_price: numeric(s.markPrice),
        unrealized_pnl_brl: numeric(s.unrealizedPnlBrl),
        unrealized_pnl_usd: numeric(s.unrealizedPnlUsd),
        daily_pnl_brl: numeric(s.dailyPnlBrl),
        daily_pnl_usd: numeric(s.dailyPnlUsd),
        realized_pnl_brl: numeric(s.realizedPnlBrl),
        fx_rate: numeric(s.fxRate),
        is_manual_override: s.isManualOverride,
        created_at: now,
        updated_at: now,
      })),
    )
    .onConflict(['date', 'position_id'])
    .merge([
      'mark_price', 'unrealized_pnl_brl', 'unrealized_pnl_usd', 'daily_pnl_brl', 'daily_pnl_usd',
      'realized_pnl_brl', 'fx_rate', 'is_manual_override', 'updated_at',
    ]);
}
