import type { Knex } from 'knex';
import { computeBook, type Book } from '../domain/book';
import { addDays, startOfYear, today, type Clock } from '../domain/dates';
import { ZERO } from '../domain/decimal';
import type { IsoDate, Portfolio, Position } from '../domain/types';
import { listPositions } from '../data/position.repository';
import { countSnapshotsOnOrBefore, dailyPnlSeries, previousSnapshots } from '../data/snapshot.repository';
import type { Actor } from './access';
import type { ReadDeps } from './deps';
import { readablePortfolio } from './portfolios.service';
import * as v from './validate';

/**
 * The positions open at the end of `asOf`, marked as of that date. For today the rows carry the
 * current marks; for a past date a position is rebuilt from what was true at `asOf` and nothing
 * dated after it (point-in-time: closed later means open then):
 * - its mark, P&L and mark date from its latest snapshot on or before `asOf` (flat at the entry
 *   price, dated at entry, if never marked);
 * - open, with no close, no realized P&L, and only its entry cost (both sides cost the same,
 *   `transactionCost` of one notional and one bps, so the entry side is half of a closed total);
 * - `version` = 1 + its snapshots up to `asOf` (the row's own counter also counts later changes).
 * Its notes are those of its entry: closing does not rewrite them.
 */
export async function positionsAsOf(db: Knex, portfolio: Portfolio, asOf: IsoDate, todayDate: IsoDate): Promise<Position[]> {
  if (asOf >= todayDate) {
    return (await listPositions(db, { portfolioIds: [portfolio.id], isOpen: true })).filter((p) => p.entryDate <= asOf);
  }
  const active = (await listPositions(db, { portfolioIds: [portfolio.id], activeBetween: { from: asOf, to: asOf } }))
    .filter((p) => p.closedAt === null || p.closedAt > asOf);
  const ids = active.map((p) => p.id);
  // Sequential: `db` may be a transaction (one connection).
  const marks = await previousSnapshots(db, ids, addDays(asOf, 1));
  const counts = await countSnapshotsOnOrBefore(db, ids, asOf);
  return active.map((p): Position => {
    const snap = marks.get(p.id);
    return {
      ...p,
      isOpen: true,
      closedAt: null,
      closePrice: null,
      realizedPnlBrl: ZERO,
      realizedPnlUsd: ZERO,
      transactionCostBrl: p.isOpen ? p.transactionCostBrl : p.transactionCostBrl.div(2),
      currentPrice: snap?.markPrice ?? p.entryPrice,
      lastMarkDate: snap?.date ?? p.entryDate,
      unrealizedPnlBrl: snap?.unrealizedPnlBrl ?? ZERO,
      unrealizedPnlUsd: snap?.unrealizedPnlUsd ?? ZERO,
      version: 1 + (counts.get(p.id) ?? 0),
    };
  });
}

/** The book of an already-authorized portfolio at `asOf` (used by reads and by the morning pack). */
export async function loadBook(db: Knex, clock: Clock, portfolio: Portfolio, asOf: IsoDate): Promise<Book> {
  // Sequential on purpose: `db` may be a transaction, whose one connection runs one query at a time.
  const openPositions = await positionsAsOf(db, portfolio, asOf, today(clock));
  const closedPositions = await listPositions(db, { portfolioIds: [portfolio.id], isOpen: false, closedOnOrBefore: asOf });
  const dailyPnl = await dailyPnlSeries(db, portfolio.id, { from: startOfYear(asOf), to: asOf });
  return computeBook({ portfolio, asOf, openPositions, closedPositions, dailyPnl });
}

export interface BookQuery {
  readonly portfolioId: string;
  /** Defaults to today; a past date gives the point-in-time book. */
  readonly asOf?: IsoDate | null;
}

export async function getBook(deps: ReadDeps, actor: Actor, q: BookQuery): Promise<Book> {
  const { db, clock } = deps;
  const asOf = v.notAfter('asOf', v.date('asOf', q.asOf ?? today(clock)), today(clock));
  const portfolio = await readablePortfolio(deps.portfolios, actor, q.portfolioId);
  return loadBook(db, clock, portfolio, asOf);
}
