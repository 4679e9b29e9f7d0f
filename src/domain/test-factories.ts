/**
 * Factories for domain values, used only by the unit tests beside the domain modules. Each call
 * gets a random id so tests never depend on one another's data; every other field has a plain,
 * documented default that a test overrides where the value matters to it.
 */
import { randomUUID } from 'node:crypto';
import type { Decimal } from './decimal';
import { dec, ZERO } from './decimal';
import { addDays, isWeekend } from './dates';
import type { DailyPnl, IsoDate, PnlSnapshot, Portfolio, Position, TradeProposal } from './types';

/** A fixed instant for createdAt/updatedAt: the domain never reads the clock, neither do tests. */
const EPOCH = new Date('2026-01-01T00:00:00Z');

/** Portfolio with AUM 100,000,000 BRL, the fund's default. */
export function makePortfolio(overrides: Partial<Portfolio> = {}): Portfolio {
  return {
    id: randomUUID(),
    code: 'MACRO',
    name: 'Macro Fund',
    baseCurrency: 'BRL',
    aumBrl: dec(100_000_000),
    inceptionDate: '2026-01-02',
    ...overrides,
  };
}

/** An open LONG EQUITY position of 1,000,000 BRL entered at 100, marked at its entry price. */
export function makePosition(overrides: Partial<Position> = {}): Position {
  return {
    id: randomUUID(),
    portfolioId: 'portfolio-1',
    instrumentId: randomUUID(),
    ticker: 'IBOV_FUT',
    assetClass: 'EQUITY',
    direction: 'LONG',
    notionalBrl: dec(1_000_000),
    quantity: null,
    entryPrice: dec(100),
    entryDate: '2026-11-02',
    entryFxRate: dec(5),
    currentPrice: dec(100),
    lastMarkDate: null,
    unrealizedPnlBrl: ZERO,
    unrealizedPnlUsd: ZERO,
    realizedPnlBrl: ZERO,
    realizedPnlUsd: ZERO,
    transactionCostBrl: ZERO,
    isOpen: true,
    closedAt: null,
    closePrice: null,
    ratePct: null,
    businessDays: null,
    strategyIds: [],
    strategyWeights: null,
    proposalId: null,
    notes: null,
    version: 1,
    createdAt: EPOCH,
    updatedAt: EPOCH,
    ...overrides,
  };
}

/** A PENDING, non-flip LONG EQUITY proposal of 5,000,000 BRL with conviction 0.6. */
export function makeProposal(overrides: Partial<TradeProposal> = {}): TradeProposal {
  return {
    id: randomUUID(),
    portfolioId: 'portfolio-1',
    instrumentId: randomUUID(),
    ticker: 'IBOV_FUT',
    assetClass: 'EQUITY',
    direction: 'LONG',
    suggestedNotionalBrl: dec(5_000_000),
    conviction: 0.6,
    signalSource: 'SYSTEMATIC',
    strategyIds: [],
    rationale: 'Momentum signal above threshold',
    riskImpact: null,
    status: 'PENDING',
    asOfDate: '2026-11-27',
    isFlip: false,
    reviewedBy: null,
    reviewedAt: null,
    executionPrice: null,
    executionNotionalBrl: null,
    positionId: null,
    notes: null,
    version: 1,
    createdAt: EPOCH,
    createdBy: null,
    ...overrides,
  };
}

/** A snapshot of `position` on `date` with the given daily P&L (other money fields zero). */
export function makeSnapshot(position: Position, date: IsoDate, dailyPnlBrl: Decimal.Value): PnlSnapshot {
  return {
    id: randomUUID(),
    date,
    positionId: position.id,
    portfolioId: position.portfolioId,
    markPrice: position.currentPrice,
    unrealizedPnlBrl: ZERO,
    unrealizedPnlUsd: ZERO,
    dailyPnlBrl: dec(dailyPnlBrl),
    dailyPnlUsd: ZERO,
    realizedPnlBrl: ZERO,
    fxRate: dec(5),
    isManualOverride: false,
  };
}

/** A daily P&L series from [date, pnl] pairs. */
export function makeDailyPnl(points: ReadonlyArray<readonly [IsoDate, Decimal.Value]>): DailyPnl[] {
  return points.map(([date, pnl]) => ({ date, pnlBrl: dec(pnl) }));
}

/** `count` consecutive weekdays starting on `start` (or the first weekday after it). */
export function businessDates(start: IsoDate, count: number): IsoDate[] {
  const dates: IsoDate[] = [];
  for (let d = start; dates.length < count; d = addDays(d, 1)) if (!isWeekend(d)) dates.push(d);
  return dates;
}
