import type { Knex } from 'knex';
import { money, MONEY_SCALE, sum, type Decimal } from '../domain/decimal';
import { dailyPnl } from '../domain/daily-pnl';
import { daysBetween, today } from '../domain/dates';
import { InvalidInput } from '../domain/errors';
import { pnlBrl, toUsd } from '../domain/pricing';
import type { IsoDate, Position } from '../domain/types';
import { appendJournal } from '../data/journal.repository';
import { latestPricesOnOrBefore } from '../data/market.repository';
import { lockOpenPositions, updateMark } from '../data/position.repository';
import { previousSnapshots, upsertSnapshots, type SnapshotWrite } from '../data/snapshot.repository';
import { assertAllowed, type Actor } from './access';
import type { ServiceDeps } from './deps';
import { fxRateOn } from './market';
import { loadPortfolioForWrite, writablePortfolio } from './positions.service';
import * as v from './validate';
import { runWrite } from './write';

/** A market close older than this many calendar days before `asOf` is reported as stale. */
export const STALE_AFTER_DAYS = 3;

export type PriceSource = 'OVERRIDE' | 'MARKET' | 'ENTRY';

export interface MarkToMarketInput {
  readonly portfolioId: string;
  readonly asOf?: IsoDate | null;
  /** Manual prices by ticker; they win over market closes. */
  readonly prices?: readonly { readonly ticker: string; readonly price: Decimal }[] | null;
  /** BRL per USD; defaults to the USDBRL close on or before asOf. */
  readonly fxRate?: Decimal | null;
  readonly idempotencyKey?: string | null;
}

/** JSON-serializable (money as strings): it is also what an idempotent replay returns. */
export interface MarkToMarketResult {
  readonly portfolioId: string;
  readonly asOf: IsoDate;
  /** The BRL per USD rate applied; null when none was known (each position used its entry rate). */
  readonly fxRate: string | null;
  readonly marks: readonly PositionMarkResult[];
  readonly dailyPnlBrl: string;
  readonly unrealizedPnlBrl: string;
  readonly staleCount: number;
}

export interface PositionMarkResult {
  readonly positionId: string;
  readonly ticker: string;
  readonly price: string;
  readonly source: PriceSource;
  /** Date of the market close used, for MARKET prices. */
  readonly priceDate: IsoDate | null;
  readonly stale: boolean;
  readonly unrealizedPnlBrl: string;
  readonly dailyPnlBrl: string;
}

interface PriceChoice {
  readonly price: Decimal;
  readonly source: PriceSource;
  readonly priceDate: IsoDate | null;
  readonly stale: boolean;
}

function choosePrice(
  position: Position,
  asOf: IsoDate,
  overrides: ReadonlyMap<string, Decimal>,
  market: ReadonlyMap<string, { close: Decimal; date: IsoDate }>,
): PriceChoice {
  const override = overrides.get(position.ticker);
  if (override) return { price: override, source: 'OVERRIDE', priceDate: asOf, stale: false };
  const close = market.get(position.instrumentId);
  if (close) {
    return { price: close.close, source: 'MARKET', priceDate: close.date, stale: daysBetween(close.date, asOf) > STALE_AFTER_DAYS };
  }
  // No price at all: the entry price keeps the position flat rather than inventing a move.
  return { price: position.entryPrice, source: 'ENTRY', priceDate: null, stale: true };
}

async function resolveFx(trx: Knex, given: Decimal | null | undefined, asOf: IsoDate): Promise<Decimal | null> {
  if (given) return given;
  return (await fxRateOn(trx, asOf))?.rate ?? null;
}

/**
 * Marks every open position of a portfolio as of `asOf` and upserts that day's snapshots. The
 * daily P&L is measured against the previous day's snapshot, never against the position's current
 * mark, so running MTM twice on one day replaces the day's figure instead of adding to it.
 */
export async function markToMarket(deps: ServiceDeps, actor: Actor, input: MarkToMarketInput): Promise<MarkToMarketResult> {
  assertAllowed(actor, 'MARK');
  const asOf = v.notAfter('asOf', v.date('asOf', input.asOf ?? today(deps.clock)), today(deps.clock));
  const overrides = new Map<string, Decimal>();
  (input.prices ?? []).forEach((p, i) => overrides.set(p.ticker.trim(), v.positive(`prices[${i}].price`, p.price)));
  if (input.fxRate) v.positive('fxRate', input.fxRate);
  return runWrite(
    deps,
    {
      actor, operation: 'markToMarket', args: input, idempotencyKey: input.idempotencyKey,
      authorize: (trx) => writablePortfolio(trx, actor, input.portfolioId),
    },
    async (trx, now) => {
      const portfolio = await loadPortfolioForWrite(trx, actor, input.portfolioId);
      const positions = (await lockOpenPositions(trx, portfolio.id)).filter((p) => p.entryDate <= asOf);
      for (const ticker of overrides.keys()) {
        if (!positions.some((p) => p.ticker === ticker)) {
          throw new InvalidInput('prices', `No open position in ${ticker} to apply a price to`);
        }
      }
      const behind = positions.find((p) => p.lastMarkDate !== null && p.lastMarkDate > asOf);
      if (behind) {
        throw new InvalidInput('asOf', `The ${behind.ticker} position is already marked on ${behind.lastMarkDate}, after ${asOf}`);
      }
      const market = await latestPricesOnOrBefore(trx, positions.map((p) => p.instrumentId), asOf);
      const fx = await resolveFx(trx, input.fxRate, asOf);
      const previous = await previousSnapshots(trx, positions.map((p) => p.id), asOf);

      const marks: PositionMarkResult[] = [];
      const snapshots: SnapshotWrite[] = [];
      for (const position of positions) {
        const choice = choosePrice(position, asOf, overrides, market);
        const rate = fx ?? position.entryFxRate;
        // Every figure at the money scale before it is stored or added: the result's totals are
        // then the exact sums of the rows written, and the daily figures telescope to the realized.
        const unrealized = money(pnlBrl(position, choice.price));
        const unrealizedUsd = money(toUsd(unrealized, rate));
        const daily = dailyPnl(unrealized, previous.get(position.id));
        await updateMark(trx, {
          id: position.id,
          currentPrice: choice.price,
          lastMarkDate: asOf,
          unrealizedPnlBrl: unrealized,
          unrealizedPnlUsd: unrealizedUsd,
        }, now);
        snapshots.push({
          date: asOf,
          positionId: position.id,
          portfolioId: portfolio.id,
          markPrice: choice.price,
          unrealizedPnlBrl: unrealized,
          unrealizedPnlUsd: unrealizedUsd,
          dailyPnlBrl: daily,
          dailyPnlUsd: money(toUsd(daily, rate)),
          realizedPnlBrl: position.realizedPnlBrl,
          fxRate: rate,
          isManualOverride: choice.source === 'OVERRIDE',
        });
        marks.push({
          positionId: position.id,
          ticker: position.ticker,
          price: choice.price.toFixed(),
          source: choice.source,
          priceDate: choice.priceDate,
          stale: choice.stale,
          unrealizedPnlBrl: unrealized.toFixed(MONEY_SCALE),
          dailyPnlBrl: daily.toFixed(MONEY_SCALE),
        });
      }
      await upsertSnapshots(trx, snapshots, now);

      const dailyTotal = sum(snapshots.map((s) => s.dailyPnlBrl));
      const unrealizedTotal = sum(snapshots.map((s) => s.unrealizedPnlBrl));
      const stale = marks.filter((m) => m.stale);
      await appendJournal(trx, portfolio.id, actor.id, [{
        type: 'SYSTEM_EVENT',
        systemNotes:
          `MTM ${asOf}: ${marks.length} positions marked, daily P&L ${dailyTotal.toFixed(2)} BRL` +
          (stale.length > 0 ? `; stale prices: ${stale.map((m) => `${m.ticker} (${m.priceDate ?? 'none'})`).join(', ')}` : ''),
      }], now);
      const result: MarkToMarketResult = {
        portfolioId: portfolio.id,
        asOf,
        fxRate: fx ? fx.toFixed() : null,
        marks,
        dailyPnlBrl: dailyTotal.toFixed(MONEY_SCALE),
        unrealizedPnlBrl: unrealizedTotal.toFixed(MONEY_SCALE),
        staleCount: stale.length,
      };
      return {
        result,
        changed: portfolio.id,
      };
    },
  );
}
