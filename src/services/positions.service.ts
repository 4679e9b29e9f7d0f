import type { Knex } from 'knex';
import { dec, money, type Decimal } from '../domain/decimal';
import { dailyPnl } from '../domain/daily-pnl';
import { today } from '../domain/dates';
import { InvalidInput, NotFound, PositionAlreadyClosed } from '../domain/errors';
import { pnlBrl, toUsd, transactionCost } from '../domain/pricing';
import type { Direction, Instrument, IsoDate, Portfolio, Position } from '../domain/types';
import { findInstrumentByTicker } from '../data/instrument.repository';
import { appendJournal } from '../data/journal.repository';
import { findPortfolioByRef, lockPortfolio } from '../data/portfolio.repository';
import { closePositionRow, findPositionsByIds, insertPosition, listPositions, lockPosition } from '../data/position.repository';
import { insertProposal, setProposalPosition } from '../data/proposal.repository';
import { latestSnapshotDate, previousSnapshots, upsertSnapshots } from '../data/snapshot.repository';
import { assertAllowed, assertEntitled, isEntitled, type Actor } from './access';
import type { ReadDeps, ServiceDeps } from './deps';
import { fxRateOn } from './market';
import { readablePortfolio } from './portfolios.service';
import * as v from './validate';
import { runWrite } from './write';

export interface OpenPositionInput {
  readonly portfolioId: string;
  readonly ticker: string;
  readonly direction: Direction;
  readonly notionalBrl: Decimal;
  readonly entryPrice: Decimal;
  /** Why the trade is on; at least 5 characters. Becomes the proposal's rationale. */
  readonly thesis: string;
  readonly entryDate?: IsoDate | null;
  readonly entryFxRate?: Decimal | null;
  readonly quantity?: Decimal | null;
  readonly ratePct?: Decimal | null;
  readonly businessDays?: number | null;
  readonly strategyIds?: readonly string[] | null;
  readonly strategyWeights?: Readonly<Record<string, number>> | null;
  readonly notes?: string | null;
  readonly idempotencyKey?: string | null;
}

export interface ClosePositionInput {
  readonly positionId: string;
  readonly closePrice: Decimal;
  readonly closeDate?: IsoDate | null;
  readonly outcomeNotes?: string | null;
  /** BRL per USD for the USD figures; defaults to the USDBRL close, else the entry rate. */
  readonly fxRate?: Decimal | null;
  readonly idempotencyKey?: string | null;
}

/**
 * The portfolio `ref` if the actor may write to it, not locked; FORBIDDEN otherwise, exactly as for
 * one that does not exist (the message names the ref the caller sent, nothing else).
 */
export async function writablePortfolio(trx: Knex, actor: Actor, ref: string): Promise<Portfolio> {
  const found = await findPortfolioByRef(trx, v.ref('portfolioId', ref));
  assertEntitled(actor, found, ref);
  if (!found) throw new NotFound('Portfolio', ref);
  return found;
}

/**
 * The portfolio `ref`, entitlement checked, locked for the rest of the transaction. Every write
 * takes this lock before any other row lock: portfolio, then positions, then proposals
 * (ARCHITECTURE.md, invariant 7). Two writes of one portfolio thus queue on its row and never
 * hold each other's positions or proposals crosswise, which is what deadlocked closePosition
 * (position, then portfolio) against markToMarket (portfolio, then positions).
 */
export async function loadPortfolioForWrite(trx: Knex.Transaction, actor: Actor, ref: string): Promise<Portfolio> {
  const found = await writablePortfolio(trx, actor, ref);
  // Locked: writes to one portfolio serialize, so pre-trade checks see a stable book.
  const locked = await lockPortfolio(trx, found.id);
  if (!locked) throw new NotFound('Portfolio', ref);
  return locked;
}

/**
 * The position `id` (read unlocked) if the actor may touch its portfolio. Another fund's position
 * answers exactly as an unknown id, NOT_FOUND with the id the caller sent: neither the answer nor
 * its message tells that it exists, nor names the fund it belongs to.
 */
export async function positionFor(trx: Knex, actor: Actor, id: string): Promise<Position> {
  const [found] = await findPositionsByIds(trx, [id]);
  const portfolio = found ? await findPortfolioByRef(trx, found.portfolioId) : null;
  if (!found || !portfolio || !isEntitled(actor, portfolio.code)) throw new NotFound('Position', id);
  return found;
}

/**
 * The position `id` and its portfolio, the portfolio locked (invariant 7). Only the position says
 * which portfolio it belongs to, so it is read unlocked first (NOT_FOUND when there is none or the
 * actor may not touch it), then its portfolio is locked.
 */
export async function lockPortfolioOfPosition(
  trx: Knex.Transaction,
  actor: Actor,
  id: string,
): Promise<{ position: Position; portfolio: Portfolio }> {
  const position = await positionFor(trx, actor, id);
  const portfolio = await lockPortfolio(trx, position.portfolioId);
  if (!portfolio) throw new NotFound('Position', id);
  return { position, portfolio };
}

/**
 * The position `id` and its portfolio, both locked, in the order of invariant 7: the portfolio as
 * above, then the position, locked and read again: the caller decides on the row as of its lock,
 * after every write that held the portfolio before this one (a concurrent close, a mark).
 */
export async function lockPositionForWrite(
  trx: Knex.Transaction,
  actor: Actor,
  id: string,
): Promise<{ position: Position; portfolio: Portfolio }> {
  const { portfolio } = await lockPortfolioOfPosition(trx, actor, id);
  // Positions are never deleted nor moved; were one, it would not be this portfolio's any more.
  const position = await lockPosition(trx, portfolio.id, id);
  if (!position) throw new NotFound('Position', id);
  return { position, portfolio };
}

export async function requireInstrument(db: Knex, ticker: string): Promise<Instrument> {
  const instrument = await findInstrumentByTicker(db, ticker.trim());
  if (!instrument) throw new InvalidInput('ticker', `Unknown instrument ${ticker}`);
  return instrument;
}

/** Entry FX: the given rate, else the USDBRL close on or before the entry date. */
async function entryFx(trx: Knex, given: Decimal | null | undefined, date: IsoDate): Promise<Decimal> {
  if (given) return v.positive('entryFxRate', given);
  const fx = await fxRateOn(trx, date);
  if (!fx) throw new InvalidInput('entryFxRate', `No USDBRL close on or before ${date}: give entryFxRate`);
  return fx.rate;
}

export interface PositionTerms {
  readonly portfolio: Portfolio;
  readonly instrument: Instrument;
  readonly proposalId: string;
  readonly direction: Direction;
  readonly notionalBrl: Decimal;
  readonly entryPrice: Decimal;
  readonly entryDate: IsoDate;
  readonly entryFxRate?: Decimal | null;
  readonly quantity?: Decimal | null;
  readonly ratePct?: Decimal | null;
  readonly businessDays?: number | null;
  readonly strategyIds: readonly string[];
  readonly strategyWeights: Readonly<Record<string, number>> | null;
  readonly notes: string | null;
}

/** Creates the position (mark = entry price, entry cost charged) and its OPEN journal entry. */
export async function insertOpenPosition(
  trx: Knex.Transaction,
  actor: Actor,
  terms: PositionTerms,
  now: Date,
  journalNotes: { managerNotes: string | null; systemNotes: string | null },
): Promise<string> {
  if (terms.instrument.assetClass === 'RATES' && (terms.ratePct == null) !== (terms.businessDays == null)) {
    throw new InvalidInput('ratePct', 'ratePct and businessDays go together');
  }
  const positionId = await insertPosition(trx, {
    portfolioId: terms.portfolio.id,
    instrumentId: terms.instrument.id,
    proposalId: terms.proposalId,
    direction: terms.direction,
    notionalBrl: terms.notionalBrl,
    quantity: terms.quantity ?? null,
    entryPrice: terms.entryPrice,
    entryDate: terms.entryDate,
    entryFxRate: await entryFx(trx, terms.entryFxRate, terms.entryDate),
    transactionCostBrl: transactionCost(terms.notionalBrl, terms.instrument.costBps),
    ratePct: terms.ratePct ?? null,
    businessDays: terms.businessDays ?? null,
    strategyIds: terms.strategyIds,
    strategyWeights: terms.strategyWeights,
    notes: terms.notes,
    now,
  });
  await appendJournal(trx, terms.portfolio.id, actor.id, [
    {
      type: 'OPEN',
      positionId,
      proposalId: terms.proposalId,
      instrumentId: terms.instrument.id,
      direction: terms.direction,
      notionalBrl: terms.notionalBrl,
      price: terms.entryPrice,
      managerNotes: journalNotes.managerNotes,
      systemNotes: journalNotes.systemNotes,
    },
  ], now);
  return positionId;
}

/**
 * Discretionary open: a proposal born APPROVED (conviction 1.0, source DISCRETIONARY) records the
 * decision, the position carries its id, and the OPEN entry names both at insert time.
 */
export async function openPosition(deps: ServiceDeps, actor: Actor, input: OpenPositionInput): Promise<Position> {
  assertAllowed(actor, 'TRADE');
  // The input is checked before anything is hashed (the idempotency key's request hash) or written.
  const thesis = v.text('thesis', input.thesis, 5);
  v.positive('notionalBrl', input.notionalBrl);
  v.positive('entryPrice', input.entryPrice);
  if (input.quantity != null) v.positive('quantity', input.quantity);
  v.nonNegativeInteger('businessDays', input.businessDays);
  const entryDate = v.notAfter('entryDate', v.date('entryDate', input.entryDate ?? today(deps.clock)), today(deps.clock));
  const strategies = v.strategies(input.strategyIds, input.strategyWeights);
  const result = await runWrite(
    deps,
    {
      actor, operation: 'openPosition', args: input, idempotencyKey: input.idempotencyKey,
      authorize: (trx) => writablePortfolio(trx, actor, input.portfolioId),
    },
    async (trx, now) => {
      const portfolio = await loadPortfolioForWrite(trx, actor, input.portfolioId);
      const instrument = await requireInstrument(trx, input.ticker);
      const proposalId = await insertProposal(trx, {
        portfolioId: portfolio.id,
        instrumentId: instrument.id,
        assetClass: instrument.assetClass,
        direction: input.direction,
        suggestedNotionalBrl: input.notionalBrl,
        conviction: 1,
        signalSource: 'DISCRETIONARY',
        strategyIds: strategies.ids,
        rationale: thesis,
        riskImpact: null,
        status: 'APPROVED',
        asOfDate: entryDate,
        isFlip: false,
        reviewedBy: actor.id,
        reviewedAt: now,
        executionPrice: input.entryPrice,
        executionNotionalBrl: input.notionalBrl,
        notes: v.optionalText(input.notes),
        createdBy: actor.id,
        now,
      });
      const positionId = await insertOpenPosition(
        trx,
        actor,
        {
          portfolio,
          instrument,
          proposalId,
          direction: input.direction,
          notionalBrl: input.notionalBrl,
          entryPrice: input.entryPrice,
          entryDate,
          entryFxRate: input.entryFxRate,
          quantity: input.quantity,
          ratePct: input.ratePct,
          businessDays: input.businessDays,
          strategyIds: strategies.ids,
          strategyWeights: strategies.weights,
          notes: v.optionalText(input.notes),
        },
        now,
        { managerNotes: thesis, systemNotes: 'Discretionary open' },
      );
      await setProposalPosition(trx, proposalId, positionId);
      return { result: { positionId }, changed: portfolio.id };
    },
  );
  return mustLoadPosition(deps.db, result.positionId);
}

/**
 * Close: realized P&L = P&L at the close price − entry cost − exit cost; unrealized goes to zero;
 * the close date's snapshot carries the realized amount so that it enters the daily series
 * (its dailyPnl = realized − the previous day's unrealized, so Σ daily over the life = realized).
 *
 * The close may not be dated before the position's latest snapshot (markToMarket refuses a date
 * before a position's last mark the same way): history already stored is not rewritten, so the
 * daily P&L after the close date cannot outlive the position, and a close is never back-dated
 * under marks that were served. Closing on the latest snapshot's own date replaces that snapshot.
 * The position's notes stay those of its entry: outcome notes are the journal's NOTE entry, so a
 * book as of an earlier date shows the position as it was then.
 */
export async function closePosition(deps: ServiceDeps, actor: Actor, input: ClosePositionInput): Promise<Position> {
  assertAllowed(actor, 'TRADE');
  v.positive('closePrice', input.closePrice);
  if (input.fxRate) v.positive('fxRate', input.fxRate);
  const outcome = v.optionalText(input.outcomeNotes);
  const closeDate = v.notAfter('closeDate', v.date('closeDate', input.closeDate ?? today(deps.clock)), today(deps.clock));
  const result = await runWrite(
    deps,
    {
      actor, operation: 'closePosition', args: input, idempotencyKey: input.idempotencyKey,
      authorize: (trx) => positionFor(trx, actor, input.positionId),
    },
    async (trx, now) => {
      const { position } = await lockPositionForWrite(trx, actor, input.positionId);
      if (!position.isOpen) throw new PositionAlreadyClosed(position.id);
      if (closeDate < position.entryDate) {
        throw new InvalidInput('closeDate', `closeDate ${closeDate} is before the entry date ${position.entryDate}`);
      }
      const lastSnapshot = await latestSnapshotDate(trx, position.id);
      if (lastSnapshot !== null && closeDate < lastSnapshot) {
        throw new InvalidInput('closeDate', `The ${position.ticker} position is already marked on ${lastSnapshot}, after ${closeDate}`);
      }
      const costBps = (await requireInstrument(trx, position.ticker)).costBps;
      const exitCost = transactionCost(position.notionalBrl, costBps);
      const entryCost = position.transactionCostBrl;
      // At the money scale (costs already are): the row, the close snapshot and Σ daily agree.
      const realized = money(pnlBrl(position, input.closePrice)).minus(entryCost).minus(exitCost);
      const fx = input.fxRate ?? (await fxRateOn(trx, closeDate))?.rate ?? position.entryFxRate;
      const realizedUsd = money(toUsd(realized, fx));
      const previous = (await previousSnapshots(trx, [position.id], closeDate)).get(position.id);
      const daily = dailyPnl(realized, previous);
      await closePositionRow(trx, {
        id: position.id,
        closedAt: closeDate,
        closePrice: input.closePrice,
        realizedPnlBrl: realized,
        realizedPnlUsd: realizedUsd,
        transactionCostBrl: entryCost.plus(exitCost),
      }, now);
      await upsertSnapshots(trx, [{
        date: closeDate,
        positionId: position.id,
        portfolioId: position.portfolioId,
        markPrice: input.closePrice,
        unrealizedPnlBrl: dec(0),
        unrealizedPnlUsd: dec(0),
        dailyPnlBrl: daily,
        dailyPnlUsd: money(toUsd(daily, fx)),
        realizedPnlBrl: realized,
        fxRate: fx,
        isManualOverride: false,
      }], now);
      await appendJournal(trx, position.portfolioId, actor.id, [
        {
          type: 'CLOSE',
          positionId: position.id,
          proposalId: position.proposalId,
          instrumentId: position.instrumentId,
          direction: position.direction,
          notionalBrl: position.notionalBrl,
          price: input.closePrice,
          systemNotes: `Closed ${position.ticker} ${position.direction}: realized ${realized.toFixed(2)} BRL after costs ${entryCost.plus(exitCost).toFixed(2)} BRL`,
        },
        ...(outcome ? [{ type: 'NOTE' as const, positionId: position.id, instrumentId: position.instrumentId, managerNotes: outcome }] : []),
      ], now);
      return { result: { positionId: position.id }, changed: position.portfolioId };
    },
  );
  return mustLoadPosition(deps.db, result.positionId);
}

export interface RecordOutcomeInput {
  readonly positionId: string;
  readonly notes: string;
  readonly idempotencyKey?: string | null;
}

/** A NOTE in the journal on a position, open or closed: the lessons of a trade, after the fact. */
export async function recordOutcome(deps: ServiceDeps, actor: Actor, input: RecordOutcomeInput): Promise<string> {
  assertAllowed(actor, 'TRADE');
  const notes = v.text('notes', input.notes, 3);
  const result = await runWrite(
    deps,
    {
      actor, operation: 'recordOutcome', args: input, idempotencyKey: input.idempotencyKey,
      authorize: (trx) => positionFor(trx, actor, input.positionId),
    },
    async (trx, now) => {
      const { position, portfolio } = await lockPortfolioOfPosition(trx, actor, input.positionId);
      const [entry] = await appendJournal(trx, portfolio.id, actor.id, [
        { type: 'NOTE', positionId: position.id, instrumentId: position.instrumentId, managerNotes: notes },
      ], now);
      return { result: { journalEntryId: entry?.id ?? '' }, changed: portfolio.id };
    },
  );
  return result.journalEntryId;
}

export async function mustLoadPosition(db: Knex, id: string): Promise<Position> {
  const [position] = await findPositionsByIds(db, [id]);
  if (!position) throw new NotFound('Position', id);
  return position;
}

export type PositionStatusFilter = 'OPEN' | 'CLOSED' | 'ALL';

export async function listPortfolioPositions(
  deps: ReadDeps,
  actor: Actor,
  q: { readonly portfolioId: string; readonly status?: PositionStatusFilter | null; readonly assetClass?: Position['assetClass'] | null },
): Promise<Position[]> {
  const { db } = deps;
  const portfolio = await readablePortfolio(deps.portfolios, actor, q.portfolioId);
  const status = q.status ?? 'OPEN';
  return listPositions(db, {
    portfolioIds: [portfolio.id],
    isOpen: status === 'ALL' ? undefined : status === 'OPEN',
    assetClass: q.assetClass ?? undefined,
  });
}
