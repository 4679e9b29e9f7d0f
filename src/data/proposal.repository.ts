import type { Knex } from 'knex';
import type { Decimal } from '../domain/decimal';
import type {
  AssetClass, Direction, IsoDate, ProposalStatus, RiskImpact, TradeProposal,
} from '../domain/types';
import {
  decimal, decimalOrNull, isoDate, isUuid, numeric, numericOrNull, timestamp, timestampOrNull, uuidsOnly, type Row,
} from './rows';

const COLUMNS = [
  'tp.id', 'tp.portfolio_id', 'tp.instrument_id', 'i.ticker', 'tp.asset_class', 'tp.direction',
  'tp.suggested_notional_brl', 'tp.conviction', 'tp.signal_source', 'tp.strategy_ids', 'tp.rationale',
  'tp.risk_impact', 'tp.status', 'tp.as_of_date', 'tp.is_flip', 'tp.reviewed_by', 'tp.reviewed_at',
  'tp.execution_price', 'tp.execution_notional_brl', 'tp.position_id', 'tp.notes', 'tp.version',
  'tp.created_at', 'tp.created_by',
];

export function toProposal(row: Row): TradeProposal {
  return {
    id: String(row.id),
    portfolioId: String(row.portfolio_id),
    instrumentId: String(row.instrument_id),
    ticker: String(row.ticker),
    assetClass: row.asset_class as AssetClass,
    direction: row.direction as Direction,
    suggestedNotionalBrl: decimal(row.suggested_notional_brl),
    conviction: Number(row.conviction),
    signalSource: String(row.signal_source),
    strategyIds: (row.strategy_ids as string[] | null) ?? [],
    rationale: String(row.rationale),
    riskImpact: (row.risk_impact as RiskImpact | null) ?? null,
    status: row.status as ProposalStatus,
    asOfDate: isoDate(row.as_of_date),
    isFlip: Boolean(row.is_flip),
    reviewedBy: (row.reviewed_by as string | null) ?? null,
    reviewedAt: timestampOrNull(row.reviewed_at),
    executionPrice: decimalOrNull(row.execution_price),
    executionNotionalBrl: decimalOrNull(row.execution_notional_brl),
    positionId: row.position_id ? String(row.position_id) : null,
    notes: (row.notes as string | null) ?? null,
    version: Number(row.version),
    createdAt: timestamp(row.created_at),
    createdBy: (row.created_by as string | null) ?? null,
  };
}

function base(db: Knex) {
  return db({ tp: 'trade_proposals' }).join({ i: 'instruments' }, 'i.id', 'tp.instrument_id').select(COLUMNS);
}

export async function findProposalsByIds(db: Knex, ids: readonly string[]): Promise<TradeProposal[]> {
  const valid = uuidsOnly(ids);
  if (valid.length === 0) return [];
  return (await base(db).whereIn('tp.id', valid)).map(toProposal);
}

export interface ProposalFilter {
  readonly portfolioIds: readonly string[];
  readonly status?: ProposalStatus;
  readonly asOfDate?: IsoDate;
  readonly limit: number;
}

export async function listProposals(db: Knex, f: ProposalFilter): Promise<TradeProposal[]> {
  const q = base(db)
    .whereIn('tp.portfolio_id', f.portfolioIds)
    .orderBy([{ column: 'tp.as_of_date', order: 'desc' }, { column: 'tp.conviction', order: 'desc' }, { column: 'tp.id' }])
    .limit(f.limit);
  if (f.status) q.andWhere('tp.status', f.status);
  if (f.asOfDate) q.andWhere('tp.as_of_date', f.asOfDate);
  return (await q).map(toProposal);
}

export interface PendingAt {
  /** The instant the list is as of: a proposal created after it did not exist yet. */
  readonly at: Date;
  /** The business date the instant belongs to, for expiry: see validOnOrAfter. */
  readonly date: IsoDate;
  /**
   * A proposal dated before this date was already expired on `date` (a proposal is valid on its
   * business day only: effectiveStatus in the proposals service).
   */
  readonly validOnOrAfter: IsoDate;
  readonly limit: number;
}

/**
 * The proposals of a portfolio that were PENDING at the instant `at`, whatever their date and
 * whatever became of them since: created at or before `at`, dated on or before `date` and not
 * expired on it, and not decided at `at` (still PENDING or EXPIRED now, or reviewed after `at`).
 * Returned with status PENDING, the status they had then; highest conviction first.
 */
export async function listProposalsPendingAt(db: Knex, portfolioId: string, q: PendingAt): Promise<TradeProposal[]> {
  const rows: Row[] = await base(db)
    .where('tp.portfolio_id', portfolioId)
    .andWhere('tp.created_at', '<=', q.at)
    .andWhere('tp.as_of_date', '<=', q.date)
    .andWhere('tp.as_of_date', '>=', q.validOnOrAfter)
    .andWhere((w) => {
      void w.whereIn('tp.status', ['PENDING', 'EXPIRED']).orWhere('tp.reviewed_at', '>', q.at);
    })
    .orderBy([{ column: 'tp.conviction', order: 'desc' }, { column: 'tp.as_of_date', order: 'desc' }, { column: 'tp.id' }])
    .limit(q.limit);
  return rows.map((row) => ({ ...toProposal(row), status: 'PENDING' as const }));
}

/**
 * Locks the proposal `id` of the portfolio `portfolioId` (FOR UPDATE OF tp) until the transaction
 * ends, and reads it as of the lock; null when the portfolio holds no such proposal. Proposals are
 * locked last, after the portfolio and any positions (ARCHITECTURE.md, invariant 7): the caller
 * holds the portfolio's lock already, which is why it must name the portfolio.
 */
export async function lockProposal(trx: Knex.Transaction, portfolioId: string, id: string): Promise<TradeProposal | null> {
  if (!isUuid(id)) return null;
  const row = await base(trx).where('tp.id', id).andWhere('tp.portfolio_id', portfolioId).forUpdate('tp').first();
  return row ? toProposal(row as Row) : null;
}

export interface NewProposal {
  readonly portfolioId: string;
  readonly instrumentId: string;
  readonly assetClass: AssetClass;
  readonly direction: Direction;
  readonly suggestedNotionalBrl: Decimal;
  readonly conviction: number;
  readonly signalSource: string;
  readonly strategyIds: readonly string[];
  readonly rationale: string;
  readonly riskImpact: RiskImpact | null;
  readonly status: ProposalStatus;
  readonly asOfDate: IsoDate;
  readonly isFlip: boolean;
  readonly reviewedBy: string | null;
  readonly reviewedAt: Date | null;
  readonly executionPrice: Decimal | null;
  readonly executionNotionalBrl: Decimal | null;
  readonly notes: string | null;
  /** Who created it: the acting user of the write (or the seed). */
  readonly createdBy: string;
  readonly now: Date;
}

export async function insertProposal(db: Knex, p: NewProposal): Promise<string> {
  const [row] = await db('trade_proposals')
    .insert({
      portfolio_id: p.portfolioId,
      instrument_id: p.instrumentId,
      asset_class: p.assetClass,
      direction: p.direction,
      suggested_notional_brl: numeric(p.suggestedNotionalBrl),
      conviction: p.conviction,
      signal_source: p.signalSource,
      strategy_ids: [...p.strategyIds],
      rationale: p.rationale,
      risk_impact: p.riskImpact ? JSON.stringify(p.riskImpact) : null,
      status: p.status,
      as_of_date: p.asOfDate,
      is_flip: p.isFlip,
      reviewed_by: p.reviewedBy,
      reviewed_at: p.reviewedAt,
      execution_price: numericOrNull(p.executionPrice),
      execution_notional_brl: numericOrNull(p.executionNotionalBrl),
      notes: p.notes,
      created_at: p.now,
      created_by: p.createdBy,
      updated_at: p.now,
    })
    .returning('id');
  return String((row as Row).id);
}

export interface ProposalReview {
  readonly id: string;
  readonly status: ProposalStatus;
  readonly reviewedBy: string;
  readonly reviewedAt: Date;
  readonly direction?: Direction;
  readonly executionPrice: Decimal | null;
  readonly executionNotionalBrl: Decimal | null;
  readonly positionId: string | null;
  readonly notes: string | null;
}

export async function reviewProposal(trx: Knex, r: ProposalReview): Promise<void> {
  await trx('trade_proposals')
    .where({ id: r.id })
    .update({
      status: r.status,
      reviewed_by: r.reviewedBy,
      reviewed_at: r.reviewedAt,
      ...(r.direction ? { direction: r.direction } : {}),
      execution_price: numericOrNull(r.executionPrice),
      execution_notional_brl: numericOrNull(r.executionNotionalBrl),
      position_id: r.positionId,
      notes: r.notes,
      updated_at: r.reviewedAt,
      version: trx.raw('version + 1'),
    });
}

/** Links a proposal to the position opened from it (a discretionary open, once both rows exist). */
export async function setProposalPosition(trx: Knex, proposalId: string, positionId: string): Promise<void> {
  await trx('trade_proposals').where({ id: proposalId }).update({ position_id: positionId });
}

/** A proposal expireStaleProposals expired: what its journal entry records. */
export interface ExpiredProposal {
  readonly id: string;
  readonly instrumentId: string;
  readonly direction: Direction;
  readonly suggestedNotionalBrl: Decimal;
  readonly asOfDate: IsoDate;
}

/**
 * PENDING proposals dated before `date` become EXPIRED (a proposal is valid on its day only), and
 * are returned, oldest first, so that the caller journals who expired them. It row-locks what it
 * expires, so it runs under the portfolio's lock (ARCHITECTURE.md, invariant 7).
 */
export async function expireStaleProposals(trx: Knex, portfolioId: string, date: IsoDate, now: Date): Promise<ExpiredProposal[]> {
  const rows: Row[] = await trx('trade_proposals')
    .where({ portfolio_id: portfolioId, status: 'PENDING' })
    .andWhere('as_of_date', '<', date)
    .update({ status: 'EXPIRED', updated_at: now, version: trx.raw('version + 1') })
    .returning(['id', 'instrument_id', 'direction', 'suggested_notional_brl', 'as_of_date']);
  return rows
    .map((row) => ({
      id: String(row.id),
      instrumentId: String(row.instrument_id),
      direction: row.direction as Direction,
      suggestedNotionalBrl: decimal(row.suggested_notional_brl),
      asOfDate: isoDate(row.as_of_date),
    }))
    .sort((a, b) => (a.asOfDate < b.asOfDate ? -1 : a.asOfDate > b.asOfDate ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
