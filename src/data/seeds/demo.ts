import type { Knex } from 'knex';
import { D, dec, money, sum, ZERO, type Decimal } from '../../domain/decimal';
import { isIsoDate, isWeekend, previousBusinessDay, toUtc, type IsoDate } from '../../domain/dates';
import { InvalidInput } from '../../domain/errors';
import { evaluatePreTrade, type PreTradeResult } from '../../domain/pre-trade';
import { costBpsFor, pnlBrl, puFromRate, toUsd, transactionCost, type PnlInput } from '../../domain/pricing';
import type { Instrument, MarketPrice, MarketSeriesPoint, RiskImpact } from '../../domain/types';
import { assertNever } from '../../domain/types';
import { insertInstrumentsIfAbsent } from '../instrument.repository';
import { appendJournal, type NewJournalEntry } from '../journal.repository';
import { upsertMarketPrices, upsertSeries } from '../market.repository';
import { insertPortfolio, listPortfolios } from '../portfolio.repository';
import { closePositionRow, insertPosition, updateMark } from '../position.repository';
import { insertProposal, reviewProposal, setProposalPosition, type NewProposal } from '../proposal.repository';
import { upsertSnapshots, type SnapshotWrite } from '../snapshot.repository';
import {
  HISTORY_DAYS, INSTRUMENTS, LAST_DAY, MACRO_FUND_1, MACRO_FUND_2, MACRO_SERIES, MEAN_REVERSION,
  type CatalogInstrument, type CatalogSeries, type FundScript, type PriceModel, type ScriptedPending,
  type ScriptedPosition, type ScriptedRejection, type ScriptedTrade,
} from './catalog';
import { streamFor, type Prng } from './prng';

/**
 * The demo seed: a deterministic history of market data, trades, P&L snapshots and journal for
 * the demo funds, written through the repositories. Every number comes from the catalog and the
 * seeded PRNG; `asOf` only places the history on the calendar.
 */

export interface SeedDemoOptions {
  /** Last business day of the history; the seed never reads the clock. */
  readonly asOf: IsoDate;
  readonly log?: (line: string) => void;
  /** Seeds only the main fund under this code (tests use a fresh code per run). */
  readonly portfolioCode?: string;
}

export interface SeedDemoResult {
  /** The demo portfolios' ids, whether written now or found already there. */
  readonly portfolioIds: string[];
  /** True when every demo portfolio already existed and nothing was written. */
  readonly skipped: boolean;
}

const FX_TICKER = 'USDBRL';
const MANAGER = 'demo.manager';
const SYSTEM = 'system:seed';
/** Times of day in UTC (São Paulo is UTC−3): signals 08:00, trades 10:00, the MTM at 18:00 local. */
const PROPOSAL_HOUR_UTC = 11;
const TRADE_HOUR_UTC = 13;
const MTM_HOUR_UTC = 21;
/** Rows per INSERT: far below Postgres' 65,535 bind parameters whatever the column count. */
const INSERT_CHUNK = 500;

export async function seedDemo(db: Knex, opts: SeedDemoOptions): Promise<SeedDemoResult> {
  assertBusinessDay(opts.asOf);
  const log = opts.log ?? (() => undefined);
  const scripts = opts.portfolioCode ? [{ ...MACRO_FUND_1, code: opts.portfolioCode }] : [MACRO_FUND_1, MACRO_FUND_2];
  const ids = await portfolioIdsByCode(db, scripts.map((s) => s.code));
  const missing = scripts.filter((s) => !ids.has(s.code));
  const inScriptOrder = () => scripts.flatMap((s) => ids.get(s.code) ?? []);
  if (missing.length === 0) {
    log(`demo: ${scripts.map((s) => s.code).join(', ')} already seeded, skipped`);
    return { portfolioIds: inScriptOrder(), skipped: true };
  }

  const dates = businessDaysEnding(opts.asOf, HISTORY_DAYS);
  const market = generateMarket(HISTORY_DAYS);
  const instruments = await writeMarket(db, market, dates, log);
  const ctx: SeedContext = { dates, market, instruments };
  for (const script of missing) ids.set(script.code, await seedFund(db, script, ctx, log));
  return { portfolioIds: inScriptOrder(), skipped: false };
}

function assertBusinessDay(asOf: IsoDate): void {
  if (!isIsoDate(asOf)) throw new InvalidInput('asOf', `asOf must be an ISO date, got ${asOf}`);
  if (isWeekend(asOf)) throw new InvalidInput('asOf', `asOf must be a business day, ${asOf} is a weekend`);
}

async function portfolioIdsByCode(db: Knex, codes: readonly string[]): Promise<Map<string, string>> {
  const all = await listPortfolios(db);
  return new Map(all.filter((p) => codes.includes(p.code)).map((p) => [p.code, p.id]));
}

/** The `n` business days ending at `asOf`, oldest first. */
function businessDaysEnding(asOf: IsoDate, n: number): IsoDate[] {
  const dates = [asOf];
  while (dates.length < n) dates.unshift(previousBusinessDay(dates[0] ?? asOf));
  return dates;
}

/** Element `i` of a list the script indexes by day; a day outside the history is a script bug. */
function nth<T>(xs: readonly T[], i: number): T {
  const x = xs[i];
  if (x === undefined) throw new RangeError(`Demo script refers to day ${i}, outside 0..${xs.length - 1}`);
  return x;
}

// ---------------------------------------------------------------------------------------------
// Market: one path per instrument and series, pure and independent of the calendar
// ---------------------------------------------------------------------------------------------

interface InstrumentPath {
  readonly closes: readonly Decimal[];
  /** Rate models only: the rate in % a.a. (3 decimals, as B3 quotes DI1) and business days to maturity. */
  readonly ratesPct: readonly Decimal[] | null;
  readonly businessDays: readonly number[] | null;
}

interface DemoMarket {
  readonly paths: ReadonlyMap<string, InstrumentPath>;
  readonly series: ReadonlyMap<string, readonly number[]>;
}

/** Closes of every catalog instrument and values of every macro series for `days` business days. */
function generateMarket(days: number): DemoMarket {
  const riskOffRng = streamFor('factor:br-risk-off');
  const factor = Array.from({ length: days }, () => riskOffRng.normal());
  const paths = new Map<string, InstrumentPath>();
  // Catalog order matters only for derived instruments, which come after their underlying.
  for (const i of INSTRUMENTS) paths.set(i.ticker, instrumentPath(i, factor, paths));
  const series = new Map(MACRO_SERIES.map((s) => [s.series, seriesValues(s, factor, paths)] as const));
  return { paths, series };
}

function instrumentPath(
  i: CatalogInstrument,
  factor: readonly number[],
  paths: ReadonlyMap<string, InstrumentPath>,
): InstrumentPath {
  const m = i.model;
  switch (m.kind) {
    case 'rate':
      return ratePath(m, shocks(streamFor(i.ticker), factor, i.riskOffBeta));
    case 'level': {
      const levels = levelWalk(m, shocks(streamFor(i.ticker), factor, i.riskOffBeta));
      return { closes: levels.map((x) => dec(x.toFixed(m.decimals))), ratesPct: null, businessDays: null };
    }
    case 'derived':
      return {
        closes: pathOf(paths, m.underlying).closes.map((c) => c.times(m.factor).toDecimalPlaces(m.decimals)),
        ratesPct: null,
        businessDays: null,
      };
    default:
      return assertNever(m, 'price model');
  }
}

function pathOf(paths: ReadonlyMap<string, InstrumentPath>, ticker: string): InstrumentPath {
  const path = paths.get(ticker);
  if (!path) throw new Error(`Demo catalog: no price path for ${ticker} (declare it before what derives from it)`);
  return path;
}

/**
 * Unit-variance daily shocks loaded `beta` on the common factor: corr(asset, factor) = beta, so
 * two assets correlate by the product of their betas. Day 0 is the start and takes no shock.
 */
function shocks(rng: Prng, factor: readonly number[], beta: number): number[] {
  const idiosyncratic = Math.sqrt(1 - beta * beta);
  return factor.map((f) => beta * f + idiosyncratic * rng.normal());
}

/** Ornstein–Uhlenbeck walk: x += κ(start − x) + vol·shock, pulled back toward where it started. */
function meanRevertingWalk(start: number, vol: number, shock: readonly number[]): number[] {
  const xs: number[] = [];
  let x = start;
  for (const [t, s] of shock.entries()) {
    if (t > 0) x += MEAN_REVERSION * (start - x) + vol * s;
    xs.push(x);
  }
  return xs;
}

/** A price level: the walk is on log-prices so that moves are returns and the price stays positive. */
function levelWalk(m: { readonly start: number; readonly dailyVol: number }, shock: readonly number[]): number[] {
  return meanRevertingWalk(Math.log(m.start), m.dailyVol, shock).map(Math.exp);
}

function ratePath(m: Extract<PriceModel, { kind: 'rate' }>, shock: readonly number[]): InstrumentPath {
  const rates = meanRevertingWalk(m.startPct, m.bpVolPerDay / 100, shock).map((r) => dec(r.toFixed(3)));
  // One business day closer to maturity each day; the last day is `businessDaysAtAsOf` away.
  const businessDays = rates.map((_, t) => m.businessDaysAtAsOf + (rates.length - 1 - t));
  // PU to 2 decimals, as B3 publishes settlement PUs.
  const closes = rates.map((r, t) => puFromRate(r, nth(businessDays, t)).toDecimalPlaces(2));
  return { closes, ratesPct: rates, businessDays };
}

function seriesValues(s: CatalogSeries, factor: readonly number[], paths: ReadonlyMap<string, InstrumentPath>): number[] {
  const m = s.model;
  switch (m.kind) {
    case 'steps':
      return factor.map((_, t) => stepValue(m.steps, t));
    case 'close':
      return pathOf(paths, m.ticker).closes.map((c) => c.toNumber());
    case 'yield': {
      const closes = pathOf(paths, m.ticker).closes;
      const first = nth(closes, 0).toNumber();
      return closes.map((c) => round(m.startPct - ((c.toNumber() / first - 1) / m.modifiedDuration) * 100, 3));
    }
    case 'level':
      return levelWalk(m, shocks(streamFor(`series:${s.series}`), factor, m.riskOffBeta)).map((x) => round(x, m.decimals));
    default:
      return assertNever(m, 'series model');
  }
}

/** The value of the last step that started on or before day `t`. */
function stepValue(steps: readonly (readonly [number, number])[], t: number): number {
  let value = nth(steps, 0)[1];
  for (const [from, v] of steps) if (from <= t) value = v;
  return value;
}

function round(x: number, decimals: number): number {
  return Number(x.toFixed(decimals));
}

async function writeMarket(
  db: Knex,
  market: DemoMarket,
  dates: readonly IsoDate[],
  log: (line: string) => void,
): Promise<Map<string, Instrument>> {
  return db.transaction(async (trx) => {
    const instruments = await insertInstrumentsIfAbsent(
      trx,
      INSTRUMENTS.map((i) => ({
        ticker: i.ticker, name: i.name, assetClass: i.assetClass, priceConvention: i.priceConvention,
        costBps: costBpsFor(i.ticker),
      })),
    );
    const byTicker = new Map(instruments.map((i) => [i.ticker, i]));
    const prices: MarketPrice[] = instruments.flatMap((i) =>
      pathOf(market.paths, i.ticker).closes.map((close, t) => ({ instrumentId: i.id, date: nth(dates, t), close })),
    );
    for (const chunk of chunks(prices)) await upsertMarketPrices(trx, chunk);
    const points: MarketSeriesPoint[] = [...market.series].flatMap(([series, values]) =>
      values.map((value, t) => ({ series, date: nth(dates, t), value })),
    );
    for (const chunk of chunks(points)) await upsertSeries(trx, chunk);
    log(`instruments: ${instruments.length}`);
    log(`prices: ${COUNT.format(prices.length)} rows, ${nth(dates, 0)} to ${nth(dates, LAST_DAY)}`);
    log(`series: ${market.series.size} (${[...market.series.keys()].join(', ')}), ${COUNT.format(points.length)} points`);
    return byTicker;
  });
}

function chunks<T>(xs: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += INSERT_CHUNK) out.push(xs.slice(i, i + INSERT_CHUNK));
  return out;
}

// ---------------------------------------------------------------------------------------------
// A fund's history: positions, P&L snapshots, proposals and journal
// ---------------------------------------------------------------------------------------------

interface SeedContext {
  readonly dates: readonly IsoDate[];
  readonly market: DemoMarket;
  readonly instruments: ReadonlyMap<string, Instrument>;
}

type SnapshotValues = Omit<SnapshotWrite, 'positionId' | 'portfolioId'>;

interface SimulatedClose {
  readonly price: Decimal;
  readonly realizedPnlBrl: Decimal;
  readonly realizedPnlUsd: Decimal;
  /** Entry plus exit cost. */
  readonly transactionCostBrl: Decimal;
}

/** A scripted position played against the market: what its rows and snapshots will hold. */
interface SimulatedPosition {
  readonly script: ScriptedPosition;
  readonly instrument: Instrument;
  readonly notionalBrl: Decimal;
  readonly entryPrice: Decimal;
  readonly entryFxRate: Decimal;
  readonly entryCostBrl: Decimal;
  readonly ratePct: Decimal | null;
  readonly businessDays: number | null;
  /** One per business day from entry to close (or asOf); the last one is the current mark. */
  readonly snapshots: readonly SnapshotValues[];
  readonly close: SimulatedClose | null;
}

interface JournalEvent {
  readonly day: number;
  readonly hourUtc: number;
  readonly actor: string;
  readonly entry: NewJournalEntry;
}

function instrumentOf(ctx: SeedContext, ticker: string): Instrument {
  const instrument = ctx.instruments.get(ticker);
  if (!instrument) throw new Error(`Demo script trades ${ticker}, which is not in the catalog`);
  return instrument;
}

/** Timestamp of an event on a business date; `seconds` orders several events of the same hour. */
function timeOn(date: IsoDate, hourUtc: number, seconds = 0): Date {
  const at = toUtc(date);
  at.setUTCHours(hourUtc, 0, seconds);
  return at;
}

function simulatePosition(script: ScriptedPosition, ctx: SeedContext): SimulatedPosition {
  const instrument = instrumentOf(ctx, script.ticker);
  const path = pathOf(ctx.market.paths, script.ticker);
  const notionalBrl = dec(script.notionalBrl);
  // Executed at the day's close, so the entry day's P&L is zero and every later day is a clean move.
  const entryPrice = nth(path.closes, script.entryDay);
  const entryCostBrl = money(transactionCost(notionalBrl, instrument.costBps));
  const input: PnlInput = { assetClass: instrument.assetClass, direction: script.direction, notionalBrl, entryPrice };
  const fx = pathOf(ctx.market.paths, FX_TICKER).closes;
  const isRates = instrument.assetClass === 'RATES';
  const snapshots = snapshotHistory(input, script, path.closes, fx, ctx.dates, entryCostBrl);
  const last = snapshots[snapshots.length - 1];
  return {
    script,
    instrument,
    notionalBrl,
    entryPrice,
    entryFxRate: nth(fx, script.entryDay),
    entryCostBrl,
    ratePct: isRates && path.ratesPct ? nth(path.ratesPct, script.entryDay) : null,
    businessDays: isRates && path.businessDays ? nth(path.businessDays, script.entryDay) : null,
    snapshots,
    close: script.close && last
      ? {
          price: last.markPrice,
          realizedPnlBrl: last.realizedPnlBrl,
          realizedPnlUsd: money(toUsd(last.realizedPnlBrl, last.fxRate)),
          transactionCostBrl: entryCostBrl.times(2),
        }
      : null,
  };
}

/**
 * The daily snapshots of one position. Unrealized P&L is rounded to cents before differencing, and
 * on the close day the realized P&L (after entry and exit costs, same notional and bps both sides)
 * replaces it, so Σ dailyPnl over the position's life telescopes to exactly its realized P&L.
 */
function snapshotHistory(
  input: PnlInput,
  script: ScriptedPosition,
  closes: readonly Decimal[],
  fx: readonly Decimal[],
  dates: readonly IsoDate[],
  entryCostBrl: Decimal,
): SnapshotValues[] {
  const lastDay = script.close?.day ?? LAST_DAY;
  const snapshots: SnapshotValues[] = [];
  let previousUnrealized = ZERO;
  for (let day = script.entryDay; day <= lastDay; day++) {
    const price = nth(closes, day);
    const fxRate = nth(fx, day);
    const closing = day === script.close?.day;
    const pnl = money(pnlBrl(input, price));
    const unrealized = closing ? ZERO : pnl;
    const realized = closing ? pnl.minus(entryCostBrl.times(2)) : ZERO;
    const daily = closing ? realized.minus(previousUnrealized) : unrealized.minus(previousUnrealized);
    snapshots.push({
      date: nth(dates, day),
      markPrice: price,
      unrealizedPnlBrl: unrealized,
      unrealizedPnlUsd: money(toUsd(unrealized, fxRate)),
      dailyPnlBrl: daily,
      dailyPnlUsd: money(toUsd(daily, fxRate)),
      realizedPnlBrl: realized,
      fxRate,
      isManualOverride: false,
    });
    previousUnrealized = unrealized;
  }
  return snapshots;
}

/** The pre-trade view of a proposal on `day`: the book is the positions open that morning. */
function preTradeOn(fund: FundScript, day: number, trade: ScriptedTrade, ctx: SeedContext): PreTradeResult {
  const open = fund.positions.filter((p) => p.entryDay < day && (p.close === undefined || p.close.day >= day));
  return evaluatePreTrade({
    aumBrl: dec(fund.aumBrl),
    openPositions: open.map((p) => ({ notionalBrl: dec(p.notionalBrl), assetClass: instrumentOf(ctx, p.ticker).assetClass })),
    assetClass: instrumentOf(ctx, trade.ticker).assetClass,
    notionalBrl: dec(trade.notionalBrl),
  });
}

/** The script must be a history the services could have written: every trade passes its checks. */
function assertTradesPassPreTrade(fund: FundScript, ctx: SeedContext): void {
  for (const p of fund.positions) {
    const failed = preTradeOn(fund, p.entryDay, p, ctx).checks.find((c) => !c.passed);
    if (failed) {
      throw new Error(`Demo script: ${fund.code} ${p.ticker} on day ${p.entryDay} fails ${failed.check} ` +
        `(${failed.value} against ${failed.limit})`);
    }
  }
}

function riskImpact(check: PreTradeResult): RiskImpact {
  return {
    grossLeverageBefore: check.grossLeverageBefore,
    grossLeverageAfter: check.grossLeverageAfter,
    assetClassWeightAfter: check.assetClassWeightAfterPct,
  };
}

/** A proposal as the signal run files it: PENDING, not yet reviewed. */
function pendingProposal(
  portfolioId: string,
  trade: ScriptedTrade,
  day: number,
  fund: FundScript,
  ctx: SeedContext,
): NewProposal {
  const date = nth(ctx.dates, day);
  return {
    portfolioId,
    instrumentId: instrumentOf(ctx, trade.ticker).id,
    assetClass: instrumentOf(ctx, trade.ticker).assetClass,
    direction: trade.direction,
    suggestedNotionalBrl: dec(trade.notionalBrl),
    conviction: trade.conviction,
    signalSource: trade.signalSource,
    strategyIds: trade.strategyIds,
    rationale: trade.rationale,
    riskImpact: riskImpact(preTradeOn(fund, day, trade, ctx)),
    status: 'PENDING',
    asOfDate: date,
    isFlip: false,
    reviewedBy: null,
    reviewedAt: null,
    executionPrice: null,
    executionNotionalBrl: null,
    notes: null,
    // The signal run that files them; a discretionary open is the manager's (below).
    createdBy: SYSTEM,
    now: timeOn(date, PROPOSAL_HOUR_UTC),
  };
}

/**
 * The proposal, the position and the proposal's review, the way the services write them: a
 * DISCRETIONARY trade gets a proposal born APPROVED (as openPosition does), a model's proposal is
 * filed PENDING in the morning and approved (or modified) at the trade. Then the close or the
 * mark of asOf. Returns the position's journal events.
 */
async function writePosition(
  trx: Knex.Transaction,
  portfolioId: string,
  sim: SimulatedPosition,
  fund: FundScript,
  ctx: SeedContext,
): Promise<{ positionId: string; events: JournalEvent[] }> {
  const { script } = sim;
  const entryDate = nth(ctx.dates, script.entryDay);
  const tradedAt = timeOn(entryDate, TRADE_HOUR_UTC);
  const discretionary = script.signalSource === 'DISCRETIONARY';
  const asProposed = { ...script, notionalBrl: script.proposedNotionalBrl ?? script.notionalBrl };
  const proposed = pendingProposal(portfolioId, asProposed, script.entryDay, fund, ctx);
  const proposalId = await insertProposal(trx, discretionary
    ? {
        ...proposed, status: 'APPROVED', riskImpact: null, reviewedBy: MANAGER, reviewedAt: tradedAt, createdBy: MANAGER,
        executionPrice: sim.entryPrice, executionNotionalBrl: sim.notionalBrl, now: tradedAt,
      }
    : proposed);
  const positionId = await insertPosition(trx, {
    portfolioId,
    instrumentId: sim.instrument.id,
    proposalId,
    direction: script.direction,
    notionalBrl: sim.notionalBrl,
    quantity: null,
    entryPrice: sim.entryPrice,
    entryDate,
    entryFxRate: sim.entryFxRate,
    transactionCostBrl: sim.entryCostBrl,
    ratePct: sim.ratePct,
    businessDays: sim.businessDays,
    strategyIds: script.strategyIds,
    strategyWeights: script.strategyWeights ?? null,
    notes: null,
    now: tradedAt,
  });
  if (discretionary) {
    await setProposalPosition(trx, proposalId, positionId);
  } else {
    await reviewProposal(trx, {
      id: proposalId,
      status: script.proposedNotionalBrl === undefined ? 'APPROVED' : 'MODIFIED',
      reviewedBy: MANAGER,
      reviewedAt: tradedAt,
      executionPrice: sim.entryPrice,
      executionNotionalBrl: sim.notionalBrl,
      positionId,
      notes: script.modifyNotes ?? null,
    });
  }
  await writeOutcome(trx, positionId, sim, ctx);
  return { positionId, events: positionEvents(sim, positionId, proposalId) };
}

/** A closed position gets its close; an open one the mark of asOf (its last snapshot). */
async function writeOutcome(trx: Knex.Transaction, positionId: string, sim: SimulatedPosition, ctx: SeedContext): Promise<void> {
  const last = nth(sim.snapshots, sim.snapshots.length - 1);
  if (sim.close && sim.script.close) {
    const closedAt = nth(ctx.dates, sim.script.close.day);
    await closePositionRow(trx, {
      id: positionId,
      closedAt,
      closePrice: sim.close.price,
      realizedPnlBrl: sim.close.realizedPnlBrl,
      realizedPnlUsd: sim.close.realizedPnlUsd,
      transactionCostBrl: sim.close.transactionCostBrl,
    }, timeOn(closedAt, TRADE_HOUR_UTC));
    return;
  }
  await updateMark(trx, {
    id: positionId,
    currentPrice: last.markPrice,
    lastMarkDate: last.date,
    unrealizedPnlBrl: last.unrealizedPnlBrl,
    unrealizedPnlUsd: last.unrealizedPnlUsd,
  }, timeOn(last.date, MTM_HOUR_UTC));
}

/** OPEN (then MODIFY when resized), and CLOSE + NOTE when closed, with the services' wording. */
function positionEvents(sim: SimulatedPosition, positionId: string, proposalId: string): JournalEvent[] {
  const { script, instrument } = sim;
  const refs = { positionId, proposalId, instrumentId: instrument.id, direction: script.direction };
  const terms = `${script.direction} ${sim.notionalBrl.toFixed(2)} BRL @ ${sim.entryPrice.toFixed()}`;
  const modified = script.proposedNotionalBrl !== undefined;
  const opened = { day: script.entryDay, hourUtc: TRADE_HOUR_UTC, actor: MANAGER };
  const events: JournalEvent[] = [{
    ...opened,
    entry: {
      type: 'OPEN', ...refs, notionalBrl: sim.notionalBrl, price: sim.entryPrice,
      managerNotes: script.signalSource === 'DISCRETIONARY' ? script.rationale : script.modifyNotes ?? null,
      systemNotes: script.signalSource === 'DISCRETIONARY'
        ? 'Discretionary open'
        : `${modified ? 'Modified and approved' : 'Approved'} proposal: ${terms}`,
    },
  }];
  if (modified) {
    events.push({
      ...opened,
      entry: {
        type: 'MODIFY', ...refs, notionalBrl: sim.notionalBrl, price: sim.entryPrice, managerNotes: script.modifyNotes ?? null,
        systemNotes: `Original: ${script.direction} ${dec(script.proposedNotionalBrl ?? 0).toFixed(2)} BRL; new: ${terms}`,
      },
    });
  }
  if (sim.close && script.close) {
    const closed = { day: script.close.day, hourUtc: TRADE_HOUR_UTC, actor: MANAGER };
    events.push({
      ...closed,
      entry: {
        type: 'CLOSE', ...refs, notionalBrl: sim.notionalBrl, price: sim.close.price,
        systemNotes: `Closed ${instrument.ticker} ${script.direction}: realized ${sim.close.realizedPnlBrl.toFixed(2)} BRL ` +
          `after costs ${sim.close.transactionCostBrl.toFixed(2)} BRL`,
      },
    });
    events.push({
      ...closed,
      entry: { type: 'NOTE', positionId, instrumentId: instrument.id, managerNotes: script.close.outcomeNotes },
    });
  }
  return events;
}

async function writeRejection(
  trx: Knex.Transaction,
  portfolioId: string,
  r: ScriptedRejection,
  fund: FundScript,
  ctx: SeedContext,
): Promise<JournalEvent> {
  const proposalId = await insertProposal(trx, pendingProposal(portfolioId, r, r.day, fund, ctx));
  await reviewProposal(trx, {
    id: proposalId, status: 'REJECTED', reviewedBy: MANAGER, reviewedAt: timeOn(nth(ctx.dates, r.day), TRADE_HOUR_UTC),
    executionPrice: null, executionNotionalBrl: null, positionId: null, notes: r.notes,
  });
  return {
    day: r.day, hourUtc: TRADE_HOUR_UTC, actor: MANAGER,
    entry: {
      type: 'REJECT', proposalId, instrumentId: instrumentOf(ctx, r.ticker).id, direction: r.direction,
      notionalBrl: dec(r.notionalBrl), managerNotes: r.notes,
    },
  };
}

async function writePending(
  trx: Knex.Transaction,
  portfolioId: string,
  p: ScriptedPending,
  fund: FundScript,
  ctx: SeedContext,
): Promise<void> {
  await insertProposal(trx, { ...pendingProposal(portfolioId, p, LAST_DAY, fund, ctx), isFlip: p.isFlip });
}

/** The SYSTEM_EVENT of the MTM of asOf, worded as the mark-to-market service words it. */
function mtmEvent(sims: readonly SimulatedPosition[], ctx: SeedContext): JournalEvent {
  const asOf = nth(ctx.dates, LAST_DAY);
  const marked = sims.flatMap((s) => (s.close === null ? s.snapshots.filter((snap) => snap.date === asOf) : []));
  return {
    day: LAST_DAY, hourUtc: MTM_HOUR_UTC, actor: SYSTEM,
    entry: {
      type: 'SYSTEM_EVENT',
      systemNotes:
        `MTM ${asOf}: ${marked.length} positions marked, daily P&L ${sum(marked.map((s) => s.dailyPnlBrl)).toFixed(2)} BRL`,
    },
  };
}

/**
 * Appends the events in the order they happened. The chain is ordered by id, so chronology is
 * decided here; events of the same day and hour are a second apart, in script order.
 */
async function writeJournal(
  trx: Knex.Transaction,
  portfolioId: string,
  events: readonly JournalEvent[],
  ctx: SeedContext,
): Promise<void> {
  const ordered = [...events].sort((a, b) => a.day - b.day || a.hourUtc - b.hourUtc);
  let previousSlot = '';
  let second = 0;
  for (const e of ordered) {
    const slot = `${e.day}:${e.hourUtc}`;
    second = slot === previousSlot ? second + 1 : 0;
    previousSlot = slot;
    await appendJournal(trx, portfolioId, e.actor, [e.entry], timeOn(nth(ctx.dates, e.day), e.hourUtc, second));
  }
}

/** Writes one fund in one transaction (inside it only `trx`: PGlite has a single connection). */
async function seedFund(db: Knex, fund: FundScript, ctx: SeedContext, log: (line: string) => void): Promise<string> {
  assertTradesPassPreTrade(fund, ctx);
  const sims = fund.positions.map((p) => simulatePosition(p, ctx));
  const asOf = nth(ctx.dates, LAST_DAY);
  const portfolioId = await db.transaction(async (trx) => {
    const portfolio = await insertPortfolio(trx, {
      code: fund.code, name: fund.name, baseCurrency: 'BRL', aumBrl: dec(fund.aumBrl), inceptionDate: nth(ctx.dates, 0),
    });
    const events: JournalEvent[] = [];
    const snapshots: SnapshotWrite[] = [];
    for (const sim of sims) {
      const written = await writePosition(trx, portfolio.id, sim, fund, ctx);
      events.push(...written.events);
      snapshots.push(...sim.snapshots.map((s) => ({ ...s, positionId: written.positionId, portfolioId: portfolio.id })));
    }
    for (const chunk of chunks(snapshots)) await upsertSnapshots(trx, chunk, timeOn(asOf, MTM_HOUR_UTC));
    for (const r of fund.rejections) events.push(await writeRejection(trx, portfolio.id, r, fund, ctx));
    for (const p of fund.pending) await writePending(trx, portfolio.id, p, fund, ctx);
    events.push(mtmEvent(sims, ctx));
    await writeJournal(trx, portfolio.id, events, ctx);
    return portfolio.id;
  });
  log(fundSummary(fund, sims, ctx));
  return portfolioId;
}

function fundSummary(fund: FundScript, sims: readonly SimulatedPosition[], ctx: SeedContext): string {
  const open = sims.filter((s) => s.close === null).length;
  const byDate = new Map<IsoDate, Decimal>();
  for (const s of sims.flatMap((x) => x.snapshots)) byDate.set(s.date, (byDate.get(s.date) ?? ZERO).plus(s.dailyPnlBrl));
  const daily = [...byDate.values()];
  const proposals = sims.length + fund.rejections.length + fund.pending.length;
  return `${fund.code}: ${sims.length} positions (${open} open, ${sims.length - open} closed), ` +
    `${proposals} proposals (${fund.pending.length} pending), ` +
    `${COUNT.format(sims.reduce((n, s) => n + s.snapshots.length, 0))} snapshots over ${byDate.size} days ` +
    `to ${nth(ctx.dates, LAST_DAY)}, daily P&L ${brl(D.min(...daily))} to ${brl(D.max(...daily))} BRL`;
}

const COUNT = new Intl.NumberFormat('en-US');
const MONEY = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** Display only (log lines): the stored values stay exact decimals. */
function brl(value: Decimal): string {
  return MONEY.format(value.toNumber());
}
