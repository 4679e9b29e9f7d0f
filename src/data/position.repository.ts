import type { Knex } from 'knex';
import type { Decimal } from '../domain/decimal';
import type { AssetClass, Direction, IsoDate, Position } from '../domain/types';
import {
  decimal, decimalOrNull, isoDate, isoDateOrNull, isUuid, numeric, numericOrNull, timestamp, uuidsOnly, type Row,
} from './rows';

const COLUMNS = [
  'p.id', 'p.portfolio_id', 'p.instrument_id', 'i.ticker', 'i.asset_class', 'p.direction',
  'p.notional_brl', 'p.quantity', 'p.entry_price', 'p.entry_date', 'p.entry_fx_rate',
  'p.current_price', 'p.last_mark_date', 'p.unrealized_pnl_brl', 'p.unrealized_pnl_usd',
  'p.realized_pnl_brl', 'p.realized_pnl_usd', 'p.transaction_cost_brl', 'p.is_open', 'p.closed_at',
  'p.close_price', 'p.rate_pct', 'p.business_days', 'p.strategy_ids', 'p.strategy_weights',
  'p.proposal_id', 'p.notes', 'p.version', 'p.created_at', 'p.updated_at',
];

export function toPosition(row: Row): Position {
  return {
    id: String(row.id),
    portfolioId: String(row.portfolio_id),
    instrumentId: String(row.instrument_id),
    ticker: String(row.ticker),
    assetClass: row.asset_class as AssetClass,
    direction: row.direction as Direction,
    notionalBrl: decimal(row.notional_brl),
    quantity: decimalOrNull(row.quantity),
    entryPrice: decimal(row.entry_price),
    entryDate: isoDate(row.entry_date),
    entryFxRate: decimal(row.entry_fx_rate),
    currentPrice: decimal(row.current_price),
    lastMarkDate: isoDateOrNull(row.last_mark_date),
    unrealizedPnlBrl: decimal(row.unrealized_pnl_brl),
    unrealizedPnlUsd: decimal(row.unrealized_pnl_usd),
    realizedPnlBrl: decimal(row.realized_pnl_brl),
    realizedPnlUsd: decimal(row.realized_pnl_usd),
    transactionCostBrl: decimal(row.transaction_cost_brl),
    isOpen: Boolean(row.is_open),
    closedAt: isoDateOrNull(row.closed_at),
    closePrice: decimalOrNull(row.close_price),
    ratePct: decimalOrNull(row.rate_pct),
    businessDays: row.business_days === null || row.business_days === undefined ? null : Number(row.business_days),
    strategyIds: (row.strategy_ids as string[] | null) ?? [],
    strategyWeights: (row.strategy_weights as Record<string, number> | null) ?? null,
    proposalId: row.proposal_id ? String(row.proposal_id) : null,
    notes: (row.notes as string | null) ?? null,
    version: Number(row.version),
    createdAt: timestamp(row.created_at),
    updatedAt: timestamp(row.updated_at),
  };
}

function base(db: Knex) {
  return db({ p: 'positions' }).join({ i: 'instruments' }, 'i.id', 'p.instrument_id').select(COLUMNS);
}

export async function findPositionsByIds(db: Knex, ids: readonly string[]): Promise<Position[]> {
  const valid = uuidsOnly(ids);
  if (valid.length === 0) return [];
  return (await base(db).whereIn('p.id', valid)).map(toPosition);
}

export interface PositionFilter {
  readonly portfolioIds: readonly string[];
  /** true: open only; false: closed only; undefined: both. */
  readonly isOpen?: boolean;
  readonly assetClass?: AssetClass;
  /** Positions open at some point of [from, to]: entered on or before `to`, not closed before `from`. */
  readonly activeBetween?: { readonly from: IsoDate; readonly to: IsoDate };
  readonly closedOnOrBefore?: IsoDate;
}

export async function listPositions(db: Knex, f: PositionFilter): Promise<Position[]> {
  const q = base(db).whereIn('p.portfolio_id', f.portfolioIds).orderBy([{ column: 'p.entry_date' }, { column: 'p.id' }]);
  if (f.isOpen !== undefined) q.andWhere('p.is_open', f.isOpen);
  if (f.assetClass) q.andWhere('i.asset_class', f.assetClass);
  if (f.activeBetween) {
    const { from, to } = f.activeBetween;
    q.andWhere('p.entry_date', '<=', to).andWhere((w) => {
      void w.whereNull('p.closed_at').orWhere('p.closed_at', '>=', from);
    });
  }
  if (f.closedOnOrBefore) q.andWhere('p.closed_at', '<=', f.closedOnOrBefore);
  return (await q).map(toPosition);
}

/**
 * Locks the position `id` of the portfolio `portfolioId` (FOR UPDATE OF p) until the transaction
 * ends, and reads it as of the lock; null when the portfolio holds no such position. Locks are
 * taken portfolio, then positions, then proposals (ARCHITECTURE.md, invariant 7): the caller
 * holds the portfolio's lock already, which is why it must name the portfolio.
 */
export async function lockPosition(trx: Knex.Transaction, portfolioId: string, id: string): Promise<Position | null> {
  if (!isUuid(id)) return null;
  const row = await base(trx).where('p.id', id).andWhere('p.portfolio_id', portfolioId).forUpdate('p').first();
  return row ? toPosition(row as Row) : null;
}

/**
 * Locks the open positions of a portfolio whose lock the caller holds (invariant 7), in id order so
 * that two lockers of one set never wait on each other crosswise.
 */
export async function lockOpenPositions(trx: Knex.Transaction, portfolioId: string): Promise<Position[]> {
  const rows = await base(trx)
    .where('p.portfolio_id', portfolioId)
    .andWhere('p.is_open', true)
    .orderBy('p.id')
    .forUpdate('p');
  return (rows as Row[]).map(toPosition);
}

export interface NewPosition {
  readonly portfolioId: string;
  readonly instrumentId: string;
  readonly proposalId: string | null;
  readonly direction: Direction;
  readonly notionalBrl: Decimal;
  readonly quantity: Decimal | null;
  readonly entryPrice: Decimal;
  readonly entryDate: IsoDate;
  readonly entryFxRate: Decimal;
  readonly transactionCostBrl: Decimal;
  readonly ratePct: Decimal | null;
  readonly businessDays: number | null;
  readonly strategyIds: readonly string[];
  readonly strategyWeights: Readonly<Record<string, number>> | null;
  readonly notes: string | null;
  readonly now: Date;
}

export async function insertPosition(trx: Knex, p: NewPosition): Promise<string> {
  const [row] = await trx('positions')
    .insert({
      portfolio_id: p.portfolioId,
      instrument_id: p.instrumentId,
      proposal_id: p.proposalId,
      direction: p.direction,
      notional_brl: numeric(p.notionalBrl),
      quantity: numericOrNull(p.quantity),
      entry_price: numeric(p.entryPrice),
      entry_date: p.entryDate,
      entry_fx_rate: numeric(p.entryFxRate),
      current_price: numeric(p.entryPrice),
      last_mark_date: p.entryDate,
      transaction_cost_brl: numeric(p.transactionCostBrl),
      rate_pct: numericOrNull(p.ratePct),
      business_days: p.businessDays,
      strategy_ids: [...p.strategyIds],
      strategy_weights: p.strategyWeights ? JSON.stringify(p.strategyWeights) : null,
      notes: p.notes,
      created_at: p.now,
      updated_at: p.now,
    })
    .returning('id');
  return String((row as Row).id);
}

export interface PositionMark {
  readonly id: string;
  readonly currentPrice: Decimal;
  readonly lastMarkDate: IsoDate;
  readonly unrealizedPnlBrl: Decimal;
  readonly unrealizedPnlUsd: Decimal;
}

export async function updateMark(trx: Knex, m: PositionMark, now: Date): Promise<void> {
  await trx('positions')
    .where({ id: m.id })
    .update({
      current_price: numeric(m.currentPrice),
      last_mark_date: m.lastMarkDate,
      unrealized_pnl_brl: numeric(m.unrealizedPnlBrl),
      unrealized_pnl_usd: numeric(m.unrealizedPnlUsd),
      updated_at: now,
      version: trx.raw('version + 1'),
    });
}

export interface PositionClose {
  readonly id: string;
  readonly closedAt: IsoDate;
  readonly closePrice: Decimal;
  readonly realizedPnlBrl: Decimal;
  readonly realizedPnlUsd: Decimal;
  readonly transactionCostBrl: Decimal;
}

export async function closePositionRow(trx: Knex, c: PositionClose, now: Date): Promise<void> {
  await trx('positions')
    .where({ id: c.id })
    .update({
      is_open: false,
      closed_at: c.closedAt,
      close_price: numeric(c.closePrice),
      current_price: numeric(c.closePrice),
      last_mark_date: c.closedAt,
      realized_pnl_brl: numeric(c.realizedPnlBrl),
      realized_pnl_usd: numeric(c.realizedPnlUsd),
      unrealized_pnl_brl: 0,
      unrealized_pnl_usd: 0,
      transaction_cost_brl: numeric(c.transactionCostBrl),
      updated_at: now,
      version: trx.raw('version + 1'),
    });
}
