import type { Knex } from 'knex';
import { D, type Decimal } from '../domain/decimal';
import { businessDayOnOrBefore, today } from '../domain/dates';
import { InvalidInput, NotFound, PreTradeLimitBreached, ProposalDateExpired, ProposalNotPending } from '../domain/errors';
import { evaluatePreTrade } from '../domain/pre-trade';
import { sign } from '../domain/pricing';
import type { Direction, IsoDate, Portfolio, ProposalStatus, TradeProposal } from '../domain/types';
import { appendJournal } from '../data/journal.repository';
import { latestPricesOnOrBefore } from '../data/market.repository';
import { findPortfolioByRef, lockPortfolio } from '../data/portfolio.repository';
import { listPositions } from '../data/position.repository';
import {
  expireStaleProposals, findProposalsByIds, insertProposal, listProposals, lockProposal, reviewProposal,
} from '../data/proposal.repository';
import { assertAllowed, isEntitled, type Actor } from './access';
import type { ReadDeps, ServiceDeps } from './deps';
import { insertOpenPosition, loadPortfolioForWrite, requireInstrument, writablePortfolio } from './positions.service';
import { readablePortfolio } from './portfolios.service';
import * as v from './validate';
import { runWrite } from './write';

/**
 * A proposal is valid on its business day: once a later business day starts, a PENDING proposal
 * of an earlier one is EXPIRED (reads show it so; writes refuse it).
 */
export function effectiveStatus(p: Pick<TradeProposal, 'status' | 'asOfDate'>, todayDate: IsoDate): ProposalStatus {
  return p.status === 'PENDING' && p.asOfDate < businessDayOnOrBefore(todayDate) ? 'EXPIRED' : p.status;
}

export function withEffectiveStatus(p: TradeProposal, todayDate: IsoDate): TradeProposal {
  const status = effectiveStatus(p, todayDate);
  return status === p.status ? p : { ...p, status };
}

export interface ApproveProposalInput {
  readonly proposalId: string;
  /** Defaults to the instrument's latest close. */
  readonly executionPrice?: Decimal | null;
  /** Defaults to the suggested notional. */
  readonly executionNotionalBrl?: Decimal | null;
  readonly ratePct?: Decimal | null;
  readonly businessDays?: number | null;
  readonly notes?: string | null;
  /** ADMIN only: approve although a pre-trade check fails. */
  readonly overridePreTrade?: boolean | null;
  readonly idempotencyKey?: string | null;
}

export interface ModifyApproveInput extends Omit<ApproveProposalInput, 'executionPrice'> {
  /** Required: a modified trade is executed at a price someone stated. */
  readonly executionPrice: Decimal;
  readonly direction?: Direction | null;
}

export interface RejectProposalInput {
  readonly proposalId: string;
  readonly notes: string;
  readonly idempotencyKey?: string | null;
}

/**
 * The proposal `id` (read unlocked) if the actor may touch its portfolio. Another fund's proposal
 * answers exactly as an unknown id, NOT_FOUND with the id the caller sent.
 */
export async function proposalFor(trx: Knex, actor: Actor, id: string): Promise<TradeProposal> {
  const [found] = await findProposalsByIds(trx, [id]);
  const portfolio = found ? await findPortfolioByRef(trx, found.portfolioId) : null;
  if (!found || !portfolio || !isEntitled(actor, portfolio.code)) throw new NotFound('TradeProposal', id);
  return found;
}

async function lockPending(
  trx: Knex.Transaction,
  deps: ServiceDeps,
  actor: Actor,
  proposalId: string,
): Promise<{ proposal: TradeProposal; portfolio: Portfolio }> {
  // Portfolio before proposal (ARCHITECTURE.md, invariant 7): only the proposal names its
  // portfolio, so it is read unlocked, the portfolio locked, then the proposal locked and re-read.
  const found = await proposalFor(trx, actor, proposalId);
  const portfolio = await lockPortfolio(trx, found.portfolioId);
  const proposal = portfolio ? await lockProposal(trx, portfolio.id, proposalId) : null;
  if (!portfolio || !proposal) throw new NotFound('TradeProposal', proposalId);
  const status = effectiveStatus(proposal, today(deps.clock));
  if (status !== 'PENDING') throw new ProposalNotPending(proposal.id, status);
  return { proposal, portfolio };
}

async function executionPrice(trx: Knex, proposal: TradeProposal, given: Decimal | null | undefined, date: IsoDate): Promise<Decimal> {
  if (given) return v.positive('executionPrice', given);
  const close = (await latestPricesOnOrBefore(trx, [proposal.instrumentId], date)).get(proposal.instrumentId);
  if (!close) throw new InvalidInput('executionPrice', `No close for ${proposal.ticker}: give executionPrice`);
  return close.close;
}

/** Pre-trade checks against the locked book; an ADMIN may override, nobody else. */
async function checkPreTrade(
  trx: Knex,
  actor: Actor,
  portfolio: Portfolio,
  proposal: TradeProposal,
  notional: Decimal,
  override: boolean,
): Promise<void> {
  if (override) assertAllowed(actor, 'OVERRIDE_PRE_TRADE');
  const open = await listPositions(trx, { portfolioIds: [portfolio.id], isOpen: true });
  const result = evaluatePreTrade({
    aumBrl: portfolio.aumBrl,
    openPositions: open,
    assetClass: proposal.assetClass,
    notionalBrl: notional,
  });
  const failed = result.checks.find((c) => !c.passed);
  if (failed && !override) throw new PreTradeLimitBreached(failed.check, failed.value, failed.limit);
}

async function execute(
  deps: ServiceDeps,
  actor: Actor,
  operation: 'approveProposal' | 'modifyAndApproveProposal',
  input: ApproveProposalInput & { direction?: Direction | null },
): Promise<TradeProposal> {
  assertAllowed(actor, 'TRADE');
  if (input.executionNotionalBrl) v.positive('executionNotionalBrl', input.executionNotionalBrl);
  if (input.executionPrice) v.positive('executionPrice', input.executionPrice);
  v.nonNegativeInteger('businessDays', input.businessDays);
  const result = await runWrite(
    deps,
    {
      actor, operation, args: input, idempotencyKey: input.idempotencyKey,
      authorize: (trx) => proposalFor(trx, actor, input.proposalId),
    },
    async (trx, now) => {
      const date = today(deps.clock);
      const { proposal, portfolio } = await lockPending(trx, deps, actor, input.proposalId);
      const modified = operation === 'modifyAndApproveProposal';
      const direction = input.direction ?? proposal.direction;
      const notional = v.positive('executionNotionalBrl', input.executionNotionalBrl ?? proposal.suggestedNotionalBrl);
      if (modified && direction === proposal.direction && notional.eq(proposal.suggestedNotionalBrl)) {
        throw new InvalidInput('executionNotionalBrl', 'A modification must change the direction or the notional');
      }
      const price = await executionPrice(trx, proposal, input.executionPrice, date);
      await checkPreTrade(trx, actor, portfolio, proposal, notional, input.overridePreTrade === true);
      const notes = v.optionalText(input.notes);
      const instrument = await requireInstrument(trx, proposal.ticker);
      const terms = `${direction} ${notional.toFixed(2)} BRL @ ${price.toFixed()}`;
      const positionId = await insertOpenPosition(
        trx,
        actor,
        {
          portfolio,
          instrument,
          proposalId: proposal.id,
          direction,
          notionalBrl: notional,
          entryPrice: price,
          entryDate: date,
          ratePct: input.ratePct,
          businessDays: input.businessDays,
          strategyIds: proposal.strategyIds,
          strategyWeights: null,
          notes,
        },
        now,
        { managerNotes: notes, systemNotes: `${modified ? 'Modified and approved' : 'Approved'} proposal: ${terms}` },
      );
      await reviewProposal(trx, {
        id: proposal.id,
        status: modified ? 'MODIFIED' : 'APPROVED',
        reviewedBy: actor.id,
        reviewedAt: now,
        direction,
        executionPrice: price,
        executionNotionalBrl: notional,
        positionId,
        notes,
      });
      if (modified) {
        await appendJournal(trx, portfolio.id, actor.id, [{
          type: 'MODIFY',
          positionId,
          proposalId: proposal.id,
          instrumentId: proposal.instrumentId,
          direction,
          notionalBrl: notional,
          price,
          managerNotes: notes,
          systemNotes: `Original: ${proposal.direction} ${proposal.suggestedNotionalBrl.toFixed(2)} BRL; new: ${terms}`,
        }], now);
      }
      return { result: { proposalId: proposal.id }, changed: portfolio.id };
    },
  );
  return mustLoadProposal(deps, result.proposalId);
}

export function approveProposal(deps: ServiceDeps, actor: Actor, input: ApproveProposalInput): Promise<TradeProposal> {
  return execute(deps, actor, 'approveProposal', input);
}

export async function modifyAndApproveProposal(deps: ServiceDeps, actor: Actor, input: ModifyApproveInput): Promise<TradeProposal> {
  if (!input.executionPrice) throw new InvalidInput('executionPrice', 'executionPrice is required to modify a proposal');
  return execute(deps, actor, 'modifyAndApproveProposal', input);
}

export async function rejectProposal(deps: ServiceDeps, actor: Actor, input: RejectProposalInput): Promise<TradeProposal> {
  assertAllowed(actor, 'TRADE');
  const notes = v.text('notes', input.notes, 3);
  const result = await runWrite(
    deps,
    {
      actor, operation: 'rejectProposal', args: input, idempotencyKey: input.idempotencyKey,
      authorize: (trx) => proposalFor(trx, actor, input.proposalId),
    },
    async (trx, now) => {
      const { proposal, portfolio } = await lockPending(trx, deps, actor, input.proposalId);
      await reviewProposal(trx, {
        id: proposal.id,
        status: 'REJECTED',
        reviewedBy: actor.id,
        reviewedAt: now,
        executionPrice: null,
        executionNotionalBrl: null,
        positionId: null,
        notes,
      });
      await appendJournal(trx, portfolio.id, actor.id, [{
        type: 'REJECT',
        proposalId: proposal.id,
        instrumentId: proposal.instrumentId,
        direction: proposal.direction,
        notionalBrl: proposal.suggestedNotionalBrl,
        managerNotes: notes,
      }], now);
      return {
        result: { proposalId: proposal.id },
        changed: portfolio.id,
      };
    },
  );
  return mustLoadProposal(deps, result.proposalId);
}

export interface Signal {
  readonly ticker: string;
  readonly direction: Direction;
  readonly conviction: number;
  readonly signalSource: string;
  readonly strategyIds?: readonly string[] | null;
  readonly suggestedNotionalBrl?: Decimal | null;
}

export interface GenerateProposalsInput {
  readonly portfolioId: string;
  readonly asOf?: IsoDate | null;
  readonly signals: readonly Signal[];
  readonly idempotencyKey?: string | null;
}

export type SkipReason = 'LOW_CONVICTION' | 'DAILY_LIMIT' | 'ALREADY_PENDING' | 'DUPLICATE_SIGNAL';

export interface GenerateProposalsResult {
  readonly created: readonly TradeProposal[];
  readonly skipped: readonly { readonly ticker: string; readonly reason: SkipReason }[];
}

export const SIGNAL_RULES = {
  minConviction: 0.55,
  flipConviction: 0.6,
  maxPerDay: 5,
  /** Suggested size when a signal gives none: this share of AUM, scaled by conviction. */
  defaultSizeOfAum: 0.1,
} as const;

function rationale(s: Signal, isFlip: boolean): string {
  const pct = Math.round(s.conviction * 100);
  const strategies = s.strategyIds && s.strategyIds.length > 0 ? ` for ${s.strategyIds.join(', ')}` : '';
  const flip = isFlip ? ` Reverses the open ${s.direction === 'LONG' ? 'SHORT' : 'LONG'} position.` : '';
  return `${s.signalSource} signal: ${s.direction} ${s.ticker} with ${pct}% conviction${strategies}.${flip}`;
}

/**
 * Turns signals into PENDING proposals: keeps conviction ≥ 0.55, strongest first, at most five a
 * day per portfolio (counting the day's earlier proposals), skips an instrument that already has
 * a PENDING proposal that day, and flags a flip against an open position of the other direction.
 * `asOf` must fall within the current business day (today, or a weekend date after Friday):
 * proposals of an earlier one would be EXPIRED at birth, so that is PROPOSAL_DATE_EXPIRED.
 */
export async function generateProposals(
  deps: ServiceDeps,
  actor: Actor,
  input: GenerateProposalsInput,
): Promise<GenerateProposalsResult> {
  assertAllowed(actor, 'TRADE');
  const asOf = v.notAfter('asOf', v.date('asOf', input.asOf ?? today(deps.clock)), today(deps.clock));
  // A proposal of a business day already over would be EXPIRED at birth: refused, not backfilled.
  if (effectiveStatus({ status: 'PENDING', asOfDate: asOf }, today(deps.clock)) === 'EXPIRED') {
    throw new ProposalDateExpired(asOf, businessDayOnOrBefore(today(deps.clock)));
  }
  input.signals.forEach((s, i) => {
    v.unitInterval(`signals[${i}].conviction`, s.conviction);
    v.text(`signals[${i}].signalSource`, s.signalSource, 2);
    if (s.suggestedNotionalBrl) v.positive(`signals[${i}].suggestedNotionalBrl`, s.suggestedNotionalBrl);
  });
  const result = await runWrite(
    deps,
    {
      actor, operation: 'generateProposals', args: input, idempotencyKey: input.idempotencyKey,
      authorize: (trx) => writablePortfolio(trx, actor, input.portfolioId),
    },
    async (trx, now) => {
      const portfolio = await loadPortfolioForWrite(trx, actor, input.portfolioId);
      // The expiry is this caller's act: each expired proposal gets a journal entry naming them.
      const expired = await expireStaleProposals(trx, portfolio.id, businessDayOnOrBefore(asOf), now);
      await appendJournal(trx, portfolio.id, actor.id, expired.map((p) => ({
        type: 'SYSTEM_EVENT' as const,
        proposalId: p.id,
        instrumentId: p.instrumentId,
        direction: p.direction,
        notionalBrl: p.suggestedNotionalBrl,
        systemNotes: `Expired: still PENDING after its business day ${p.asOfDate}`,
      })), now);
      const ofDay = await listProposals(trx, { portfolioIds: [portfolio.id], asOfDate: asOf, limit: 1000 });
      const generatedToday = ofDay.filter((p) => p.signalSource !== 'DISCRETIONARY').length;
      const pendingTickers = new Set(ofDay.filter((p) => p.status === 'PENDING').map((p) => p.ticker));
      const open = await listPositions(trx, { portfolioIds: [portfolio.id], isOpen: true });

      const skipped: { ticker: string; reason: SkipReason }[] = [];
      const createdIds: string[] = [];
      const createdTickers = new Set<string>();
      const ranked = [...input.signals].sort((a, b) => b.conviction - a.conviction);
      for (const s of ranked) {
        const ticker = s.ticker.trim();
        if (s.conviction < SIGNAL_RULES.minConviction) { skipped.push({ ticker, reason: 'LOW_CONVICTION' }); continue; }
        if (createdTickers.has(ticker)) { skipped.push({ ticker, reason: 'DUPLICATE_SIGNAL' }); continue; }
        if (pendingTickers.has(ticker)) { skipped.push({ ticker, reason: 'ALREADY_PENDING' }); continue; }
        if (generatedToday + createdIds.length >= SIGNAL_RULES.maxPerDay) { skipped.push({ ticker, reason: 'DAILY_LIMIT' }); continue; }
        const instrument = await requireInstrument(trx, ticker);
        const isFlip = s.conviction >= SIGNAL_RULES.flipConviction
          && open.some((p) => p.instrumentId === instrument.id && sign(p.direction) !== sign(s.direction));
        const notional = s.suggestedNotionalBrl
          ?? portfolio.aumBrl.times(SIGNAL_RULES.defaultSizeOfAum).times(s.conviction).toNearest(1000, D.ROUND_HALF_UP);
        const impact = evaluatePreTrade({ aumBrl: portfolio.aumBrl, openPositions: open, assetClass: instrument.assetClass, notionalBrl: notional });
        const text = rationale(s, isFlip);
        const proposalId = await insertProposal(trx, {
          portfolioId: portfolio.id,
          instrumentId: instrument.id,
          assetClass: instrument.assetClass,
          direction: s.direction,
          suggestedNotionalBrl: notional,
          conviction: s.conviction,
          signalSource: s.signalSource.trim(),
          strategyIds: v.strategies(s.strategyIds, null).ids,
          rationale: text,
          riskImpact: {
            grossLeverageBefore: impact.grossLeverageBefore,
            grossLeverageAfter: impact.grossLeverageAfter,
            assetClassWeightAfter: impact.assetClassWeightAfterPct,
          },
          status: 'PENDING',
          asOfDate: asOf,
          isFlip,
          reviewedBy: null,
          reviewedAt: null,
          executionPrice: null,
          executionNotionalBrl: null,
          notes: null,
          createdBy: actor.id,
          now,
        });
        createdIds.push(proposalId);
        createdTickers.add(ticker);
        // Who generated it, in the journal as well as on the row (created_by).
        await appendJournal(trx, portfolio.id, actor.id, [{
          type: 'SYSTEM_EVENT',
          proposalId,
          instrumentId: instrument.id,
          direction: s.direction,
          notionalBrl: notional,
          systemNotes: `Proposed: ${text}`,
        }], now);
      }
      return { result: { createdIds, skipped }, changed: portfolio.id };
    },
  );
  const created = await findProposalsByIds(deps.db, result.createdIds);
  const byId = new Map(created.map((p) => [p.id, p]));
  return {
    created: result.createdIds.flatMap((id) => byId.get(id) ?? []),
    skipped: result.skipped,
  };
}

async function mustLoadProposal(deps: ServiceDeps, id: string): Promise<TradeProposal> {
  const [proposal] = await findProposalsByIds(deps.db, [id]);
  if (!proposal) throw new NotFound('TradeProposal', id);
  return withEffectiveStatus(proposal, today(deps.clock));
}

export interface ProposalQuery {
  readonly portfolioId: string;
  readonly status?: ProposalStatus | null;
  readonly date?: IsoDate | null;
  readonly limit?: number | null;
}

/** Lists proposals with their effective status (a PENDING proposal of a past day reads EXPIRED). */
export async function listPortfolioProposals(deps: ReadDeps, actor: Actor, q: ProposalQuery): Promise<TradeProposal[]> {
  const { db, clock } = deps;
  const limit = q.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new InvalidInput('limit', 'limit must be between 1 and 500');
  const portfolio = await readablePortfolio(deps.portfolios, actor, q.portfolioId);
  const todayDate = today(clock);
  // EXPIRED is derived, so PENDING and EXPIRED filters read both stored states and filter after.
  const stored = q.status === 'EXPIRED' ? undefined : q.status === 'PENDING' ? 'PENDING' : q.status ?? undefined;
  const rows = await listProposals(db, { portfolioIds: [portfolio.id], status: stored, asOfDate: q.date ?? undefined, limit });
  return rows
    .map((p) => withEffectiveStatus(p, todayDate))
    .filter((p) => !q.status || p.status === q.status);
}
