import type { Knex } from 'knex';
import {
  computeAttribution, computeEquityCurve, resolvePeriod, type Attribution, type AttributionPeriod, type EquityPoint, type PeriodRange, type TradeType,
} from '../domain/attribution';
import { today } from '../domain/dates';
import { InvalidInput } from '../domain/errors';
import type { IsoDate, Portfolio, Position } from '../domain/types';
import { findPositionsByIds, listPositions } from '../data/position.repository';
import { findProposalsByIds } from '../data/proposal.repository';
import { dailyPnlSeries, sumPnlByPosition } from '../data/snapshot.repository';
import type { Actor } from './access';
import type { ReadDeps } from './deps';
import { readablePortfolio } from './portfolios.service';
import * as v from './validate';

export interface AttributionQuery {
  readonly portfolioId: string;
  readonly period: AttributionPeriod;
  /** CUSTOM only. */
  readonly from?: IsoDate | null;
  readonly to?: IsoDate | null;
  /** End of the named periods; defaults to today. */
  readonly asOf?: IsoDate | null;
}

/** A position opened from a DISCRETIONARY proposal (or none) is discretionary; the rest systematic. */
async function tradeTypes(db: Knex, positions: readonly Position[]): Promise<Map<string, TradeType>> {
  const ids = [...new Set(positions.flatMap((p) => (p.proposalId ? [p.proposalId] : [])))];
  const sources = new Map((await findProposalsByIds(db, ids)).map((p) => [p.id, p.signalSource]));
  return new Map(
    positions.map((p) => {
      const source = p.proposalId ? sources.get(p.proposalId) : undefined;
      return [p.id, source === undefined || source === 'DISCRETIONARY' ? 'DISCRETIONARY' : 'SYSTEMATIC'];
    }),
  );
}

/**
 * `active` plus every position that has P&L in the range without being active in it. closePosition
 * refuses a close dated before a stored snapshot, but rows written before that rule (a close
 * back-dated under later marks) leave snapshots after the close date: their P&L is in the period,
 * so their position is too, and the breakdowns still reconcile instead of failing the whole read.
 */
async function withPositionsOfPnl(db: Knex, active: Position[], pnl: ReadonlyMap<string, unknown>): Promise<Position[]> {
  const listed = new Set(active.map((p) => p.id));
  const missing = [...pnl.keys()].filter((id) => !listed.has(id));
  return missing.length === 0 ? active : [...active, ...(await findPositionsByIds(db, missing))];
}

export async function getAttribution(deps: ReadDeps, actor: Actor, q: AttributionQuery): Promise<Attribution> {
  const { db, clock } = deps;
  const asOf = v.notAfter('asOf', v.date('asOf', q.asOf ?? today(clock)), today(clock));
  const portfolio = await readablePortfolio(deps.portfolios, actor, q.portfolioId);
  const range = resolvePeriod(q.period, asOf, {
    from: q.from ?? undefined,
    to: q.to ?? undefined,
    inceptionDate: portfolio.inceptionDate,
  });
  if (range.end > today(clock)) throw new InvalidInput('to', `to ${range.end} is after today (${today(clock)})`);
  return attributionOf(db, portfolio, range);
}

/** The attribution of an already-authorized portfolio over a resolved range (getAttribution, cache warming). */
export async function attributionOf(db: Knex, portfolio: Portfolio, range: PeriodRange): Promise<Attribution> {
  const period = { from: range.start, to: range.end };
  // Postgres sums the period's snapshots (per position, per day) instead of shipping every row:
  // 200 positions × 250 days would be 50,000 rows of Decimals for these two aggregates. The
  // reads share one REPEATABLE READ snapshot, so a mark-to-market committing in between cannot
  // make the two sums disagree (computeAttribution refuses that) or give P&L to an unlisted position.
  const { positions, pnlByPosition, dailyPnl } = await db.transaction(
    // One after the other: a transaction is one connection, and pg deprecates overlapping queries on it.
    async (trx) => {
      const active = await listPositions(trx, { portfolioIds: [portfolio.id], activeBetween: period });
      const sums = await sumPnlByPosition(trx, portfolio.id, period);
      return {
        positions: await withPositionsOfPnl(trx, active, sums),
        pnlByPosition: sums,
        dailyPnl: await dailyPnlSeries(trx, portfolio.id, period),
      };
    },
    { isolationLevel: 'repeatable read', readOnly: true },
  );
  const tradeTypeByPosition = await tradeTypes(db, positions);
  return computeAttribution({ portfolio, range, positions, pnlByPosition, dailyPnl, tradeTypeByPosition });
}

export interface EquityCurveQuery {
  readonly portfolioId: string;
  /** Defaults to the inception date. */
  readonly from?: IsoDate | null;
  /** Defaults to today. */
  readonly to?: IsoDate | null;
}

export async function getEquityCurve(deps: ReadDeps, actor: Actor, q: EquityCurveQuery): Promise<EquityPoint[]> {
  const { db, clock } = deps;
  const portfolio = await readablePortfolio(deps.portfolios, actor, q.portfolioId);
  const to = v.notAfter('to', v.date('to', q.to ?? today(clock)), today(clock));
  const from = v.date('from', q.from ?? portfolio.inceptionDate);
  if (from > to) throw new InvalidInput('from', `from ${from} is after to ${to}`);
  const dailyPnl = await dailyPnlSeries(db, portfolio.id, { from, to });
  return computeEquityCurve(portfolio.aumBrl, dailyPnl, { start: from, end: to });
}
