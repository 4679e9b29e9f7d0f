import type { Knex } from 'knex';
import { addDays, businessDayOnOrBefore, daysBetween, today, toUtc, type Clock } from '../domain/dates';
import { InvalidInput, NotFound } from '../domain/errors';
import { buildMorningPack, type StalePrice } from '../domain/morning-pack';
import type { IsoDate, Portfolio, Position } from '../domain/types';
import { anchorJournal } from '../data/journal.repository';
import { latestPricesOnOrBefore, latestSeriesOnOrBefore } from '../data/market.repository';
import {
  findMorningPack, listMorningPacks, upsertMorningPack, type StoredMorningPack,
} from '../data/morning-pack.repository';
import { listProposalsPendingAt } from '../data/proposal.repository';
import { assertAllowed, type Actor } from './access';
import { loadBook } from './book.service';
import type { ReadDeps, ServiceDeps } from './deps';
import { STALE_AFTER_DAYS } from './mark-to-market.service';
import { loadPortfolioForWrite, writablePortfolio } from './positions.service';
import { readablePortfolio } from './portfolios.service';
import { computeRisk } from './risk.service';
import * as v from './validate';
import { runWrite } from './write';

export type { StoredMorningPack } from '../data/morning-pack.repository';

/** The stored pack of `date`, or the latest one; null when none was generated. */
export async function getMorningPack(
  deps: ReadDeps,
  actor: Actor,
  q: { readonly portfolioId: string; readonly date?: IsoDate | null },
): Promise<StoredMorningPack | null> {
  const { db } = deps;
  const portfolio = await readablePortfolio(deps.portfolios, actor, q.portfolioId);
  return findMorningPack(db, portfolio.id, q.date ? v.date('date', q.date) : undefined);
}

export async function getMorningPackHistory(
  deps: ReadDeps,
  actor: Actor,
  q: { readonly portfolioId: string; readonly from?: IsoDate | null; readonly to?: IsoDate | null; readonly limit?: number | null },
): Promise<StoredMorningPack[]> {
  const { db } = deps;
  const limit = q.limit ?? 30;
  if (!Number.isInteger(limit) || limit < 1 || limit > 366) throw new InvalidInput('limit', 'limit must be between 1 and 366');
  const portfolio = await readablePortfolio(deps.portfolios, actor, q.portfolioId);
  return listMorningPacks(db, portfolio.id, {
    from: q.from ? v.date('from', q.from) : undefined,
    to: q.to ? v.date('to', q.to) : undefined,
    limit,
  });
}

async function stalePrices(db: Knex, positions: readonly Position[], date: IsoDate): Promise<StalePrice[]> {
  const closes = await latestPricesOnOrBefore(db, positions.map((p) => p.instrumentId), date);
  return positions.flatMap((p) => {
    const close = closes.get(p.instrumentId);
    if (close && daysBetween(close.date, date) <= STALE_AFTER_DAYS) return [];
    return [{ ticker: p.ticker, lastPriceDate: close?.date ?? null }];
  });
}

/**
 * The instant a pack of `date` is as of: now for today's pack, the end of that day in the fund's
 * time zone (São Paulo, UTC−3) for an earlier date's.
 */
export function briefingTime(date: IsoDate, now: Date): Date {
  const endOfDay = new Date(toUtc(addDays(date, 1)).getTime() + 3 * 3_600_000);
  return endOfDay < now ? endOfDay : now;
}

/**
 * The proposals pending at the briefing time, whatever their creation date: a Sunday pack lists
 * Friday's proposals, still valid until Monday; a pack of an earlier date lists those pending
 * then, even if decided since, and not those created after it.
 */
async function pendingAtBriefing(db: Knex, clock: Clock, portfolio: Portfolio, date: IsoDate) {
  return listProposalsPendingAt(db, portfolio.id, {
    at: briefingTime(date, clock.now()),
    date,
    validOnOrAfter: businessDayOnOrBefore(date),
    limit: 100,
  });
}

/** Builds the sections of `date` from the database as it is (inside the caller's transaction). */
export async function composeMorningPack(db: Knex, clock: Clock, portfolio: Portfolio, date: IsoDate) {
  // Sequential: this runs inside the generating transaction (one connection, one query at a time).
  const book = await loadBook(db, clock, portfolio, date);
  const risk = await computeRisk(db, clock, portfolio, date);
  const proposals = await pendingAtBriefing(db, clock, portfolio, date);
  const marketSnapshot = await latestSeriesOnOrBefore(db, date);
  return buildMorningPack({
    portfolio,
    briefingDate: date,
    book,
    risk,
    pendingProposals: proposals,
    stalePrices: await stalePrices(db, book.positions, date),
    marketSnapshot,
    // No agent, regime or signal feeds are connected: the pack says so rather than invent them.
    agentViews: null,
    regime: null,
    topSignals: null,
  });
}

export interface GenerateMorningPackInput {
  readonly portfolioId: string;
  /** Defaults to today. */
  readonly date?: IsoDate | null;
  /** Rebuild even when a pack of that date exists. */
  readonly force?: boolean | null;
  readonly idempotencyKey?: string | null;
}

/** Returns the stored pack of the date unless `force`; otherwise builds, stores and returns it. */
export async function generateMorningPack(
  deps: ServiceDeps,
  actor: Actor,
  input: GenerateMorningPackInput,
): Promise<StoredMorningPack> {
  assertAllowed(actor, 'BRIEFING');
  const date = v.notAfter('date', v.date('date', input.date ?? today(deps.clock)), today(deps.clock));
  const result = await runWrite(
    deps,
    {
      actor, operation: 'generateMorningPack', args: input, idempotencyKey: input.idempotencyKey,
      authorize: (trx) => writablePortfolio(trx, actor, input.portfolioId),
    },
    async (trx, now) => {
      const portfolio = await loadPortfolioForWrite(trx, actor, input.portfolioId);
      const existing = await findMorningPack(trx, portfolio.id, date);
      if (existing && input.force !== true) return { result: { packId: existing.id, portfolioId: portfolio.id, date }, changed: null };
      const sections = await composeMorningPack(trx, deps.clock, portfolio, date);
      const stored = await upsertMorningPack(trx, {
        portfolioId: portfolio.id,
        briefingDate: date,
        generatedAt: now,
        generatedBy: actor.id,
        sections,
      });
      await anchorJournal(trx, portfolio.id, now);
      return {
        result: { packId: stored.id, portfolioId: portfolio.id, date },
        changed: portfolio.id,
      };
    },
  );
  const pack = await findMorningPack(deps.db, result.portfolioId, result.date);
  // Named by what the caller sent, never by the portfolio's internal id.
  if (!pack) throw new NotFound('MorningPack', `${input.portfolioId}:${result.date}`);
  return pack;
}
