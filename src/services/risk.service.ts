import type { Knex } from 'knex';
import { addDays, today, type Clock } from '../domain/dates';
import { computeRiskLive, DEFAULT_RISK_LIMITS, toRiskSnapshot, type RiskLive } from '../domain/risk';
import { InvalidInput } from '../domain/errors';
import type { IsoDate, Portfolio, RiskSnapshot } from '../domain/types';
import { listRiskSnapshots, upsertRiskSnapshot } from '../data/risk-snapshot.repository';
import { dailyPnlSeries } from '../data/snapshot.repository';
import type { Actor } from './access';
import { positionsAsOf } from './book.service';
import type { ReadDeps } from './deps';
import { readablePortfolio } from './portfolios.service';
import * as v from './validate';

/** Live risk of an already-authorized portfolio at `asOf`, from its whole daily P&L history. */
export async function computeRisk(db: Knex, clock: Clock, portfolio: Portfolio, asOf: IsoDate): Promise<RiskLive> {
  // Sequential: `db` may be a transaction (the morning pack computes risk inside one).
  const positions = await positionsAsOf(db, portfolio, asOf, today(clock));
  const dailyPnl = await dailyPnlSeries(db, portfolio.id, { to: asOf });
  return computeRiskLive({ portfolioId: portfolio.id, asOf, aumBrl: portfolio.aumBrl, dailyPnl, positions, limits: DEFAULT_RISK_LIMITS });
}

export interface RiskQuery {
  readonly portfolioId: string;
  readonly asOf?: IsoDate | null;
}

/**
 * Computes live risk and upserts the day's RiskSnapshot, so the trend survives restarts. The
 * upsert is idempotent (same inputs, same row), which is what makes a write inside a read safe.
 */
export async function getRiskLive(deps: ReadDeps, actor: Actor, q: RiskQuery): Promise<RiskLive> {
  const { db, clock } = deps;
  const asOf = v.notAfter('asOf', v.date('asOf', q.asOf ?? today(clock)), today(clock));
  const portfolio = await readablePortfolio(deps.portfolios, actor, q.portfolioId);
  return recordRiskLive(db, clock, portfolio, asOf);
}

/** getRiskLive for an already-authorized portfolio (cache warming): computes and records the day's snapshot. */
export async function recordRiskLive(db: Knex, clock: Clock, portfolio: Portfolio, asOf: IsoDate): Promise<RiskLive> {
  const risk = await computeRisk(db, clock, portfolio, asOf);
  await upsertRiskSnapshot(db, toRiskSnapshot(risk), clock.now());
  return risk;
}

export interface RiskTrendQuery {
  readonly portfolioId: string;
  /** Defaults to 90 days before `to`. */
  readonly from?: IsoDate | null;
  /** Defaults to today. */
  readonly to?: IsoDate | null;
}

export async function getRiskTrend(deps: ReadDeps, actor: Actor, q: RiskTrendQuery): Promise<RiskSnapshot[]> {
  const { db, clock } = deps;
  const to = v.notAfter('to', v.date('to', q.to ?? today(clock)), today(clock));
  const from = v.date('from', q.from ?? addDays(to, -90));
  if (from > to) throw new InvalidInput('from', `from ${from} is after to ${to}`);
  const portfolio = await readablePortfolio(deps.portfolios, actor, q.portfolioId);
  return listRiskSnapshots(db, portfolio.id, { from, to });
}
