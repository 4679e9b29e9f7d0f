import { ATTRIBUTION_PERIODS, type AttributionPeriod } from '../src/domain/attribution';
import { dec, sum } from '../src/domain/decimal';
import type { Instrument, IsoDate, Portfolio } from '../src/domain/types';
import { upsertSnapshots } from '../src/data/snapshot.repository';
import { getAttribution } from '../src/services/attribution.service';
import { getBook } from '../src/services/book.service';
import { markToMarket } from '../src/services/mark-to-market.service';
import { closePosition, openPosition } from '../src/services/positions.service';
import { getRiskLive } from '../src/services/risk.service';
import { fixedClock } from './support/clock';
import { testDb } from './support/db';
import { actor, countRows, createInstrument, createPortfolio, recordingDeps } from './support/factories';

/*
 * History that cannot be rewritten: a close is never dated under stored snapshots, and a read as
 * of a past date shows nothing dated after it. Every service runs with its own data (random codes)
 * on the test database; the cache is not involved (services are called directly), so what is
 * compared is the computation itself.
 */

const db = testDb();
// Friday 2026-11-20, 12:00 in São Paulo: every date below is in the past or today.
const clock = fixedClock('2026-11-20T15:00:00Z');
const manager = actor('MANAGER');
const FX = dec('5.2');
let equity: Instrument;
let rates: Instrument;
let cross: Instrument;
let fx: Instrument;

beforeAll(async () => {
  equity = await createInstrument(db, 'IBOV_FUT', 'EQUITY');
  rates = await createInstrument(db, 'DI1', 'RATES', 'PU');
  cross = await createInstrument(db, 'EMFX', 'CROSS_ASSET');
  fx = await createInstrument(db, 'USDBRL', 'FX', 'SPOT');
});
afterAll(() => db.destroy());

const deps = () => recordingDeps(db, clock);

function open(portfolio: Portfolio, instrument: Instrument, o: { direction?: 'LONG' | 'SHORT'; notional: string; price: string; date: IsoDate; rate?: string; du?: number; strategies?: string[] }) {
  return openPosition(deps(), manager, {
    portfolioId: portfolio.code,
    ticker: instrument.ticker,
    direction: o.direction ?? 'LONG',
    notionalBrl: dec(o.notional),
    entryPrice: dec(o.price),
    entryDate: o.date,
    entryFxRate: FX,
    ratePct: o.rate ? dec(o.rate) : null,
    businessDays: o.du ?? null,
    thesis: 'History test position',
    strategyIds: o.strategies ?? ['CROSS_01'],
  });
}

function mark(portfolio: Portfolio, asOf: IsoDate, prices: Record<string, string>) {
  return markToMarket(deps(), manager, {
    portfolioId: portfolio.code,
    asOf,
    fxRate: FX,
    prices: Object.entries(prices).map(([ticker, price]) => ({ ticker, price: dec(price) })),
  });
}

function close(positionId: string, price: string, closeDate: IsoDate) {
  return closePosition(deps(), manager, { positionId, closePrice: dec(price), closeDate, fxRate: FX, outcomeNotes: 'Done with it' });
}

/** Plain JSON: Decimals as their strings, so deep equality compares values, not object layouts. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

async function rejection(promise: Promise<unknown>): Promise<{ code?: string; field?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { code?: string; field?: string; message: string };
    return { code: e.code, field: e.field, message: e.message };
  }
  throw new Error('expected a rejection');
}

describe('closePosition refuses to rewrite history', () => {
  it('refuses a close dated before the latest snapshot, changes nothing, and accepts the snapshot date itself', async () => {
    const portfolio = await createPortfolio(db);
    const position = await open(portfolio, equity, { notional: '10000000', price: '120000', date: '2026-11-02' });
    await mark(portfolio, '2026-11-09', { [equity.ticker]: '121000' });
    await mark(portfolio, '2026-11-11', { [equity.ticker]: '118500' });
    const journalBefore = await countRows(db, 'journal_entries', { portfolio_id: portfolio.id });

    const refused = await rejection(close(position.id, '119000', '2026-11-10'));
    expect(refused).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'closeDate',
      message: `The ${equity.ticker} position is already marked on 2026-11-11, after 2026-11-10`,
    });
    // Nothing written: still open, no snapshot on the refused date, no journal entry.
    const [row] = await db('positions').where({ id: position.id });
    expect(row).toMatchObject({ is_open: true, closed_at: null });
    expect(await countRows(db, 'pnl_snapshots', { position_id: position.id, date: '2026-11-10' })).toBe(0);
    expect(await countRows(db, 'journal_entries', { portfolio_id: portfolio.id })).toBe(journalBefore);

    // On the latest snapshot's own date the close replaces that snapshot.
    const closed = await close(position.id, '119000', '2026-11-11');
    expect(closed).toMatchObject({ isOpen: false, closedAt: '2026-11-11' });
    const snapshots = await db('pnl_snapshots').where({ position_id: position.id }).orderBy('date');
    expect(snapshots.map((s: { date: string }) => s.date)).toEqual(['2026-11-09', '2026-11-11']);
    // The position's daily P&L sums to its realized P&L: 10M × (119000/120000 − 1) − 2 × 1,500 costs
    const daily = sum(snapshots.map((s: { daily_pnl_brl: string }) => dec(s.daily_pnl_brl)));
    expect(closed.realizedPnlBrl.toFixed()).toBe('-86333.3333');
    expect(daily.toFixed()).toBe(closed.realizedPnlBrl.toFixed());
    // Book and attribution after the close carry nothing dated after it.
    const book = await getBook(recordingDeps(db, clock), manager, { portfolioId: portfolio.code, asOf: '2026-11-20' });
    expect(book.summary.pnlMtdBrl.toFixed()).toBe('-86333.3333');
    expect(book.summary.realizedPnlBrl.toFixed()).toBe('-86333.3333');
  });

  it('a DAILY attribution still answers over rows a back-dated close left before the rule', async () => {
    const portfolio = await createPortfolio(db);
    const position = await open(portfolio, equity, { notional: '10000000', price: '120000', date: '2026-11-02' });
    await mark(portfolio, '2026-11-09', { [equity.ticker]: '121000' });
    await close(position.id, '122000', '2026-11-10');
    // What the older code allowed: a snapshot dated after the close (the close was back-dated under it).
    await upsertSnapshots(db, [{
      date: '2026-11-12',
      positionId: position.id,
      portfolioId: portfolio.id,
      markPrice: dec('123000'),
      unrealizedPnlBrl: dec('250000'),
      unrealizedPnlUsd: dec('48076.9231'),
      dailyPnlBrl: dec('84000'),
      dailyPnlUsd: dec('16153.8462'),
      realizedPnlBrl: dec(0),
      fxRate: FX,
      isManualOverride: false,
    }], new Date());

    const daily = await getAttribution(recordingDeps(db, clock), manager, { portfolioId: portfolio.code, period: 'DAILY', asOf: '2026-11-12' });
    // The stray row's P&L is in the period, so its position is in the breakdowns, which reconcile.
    expect(daily.totalPnlBrl.toFixed()).toBe('84000');
    expect(daily.byInstrument.map((r) => [r.positionId, r.pnlBrl.toFixed()])).toEqual([[position.id, '84000']]);
    expect(sum(daily.byStrategy.map((r) => r.pnlBrl)).toFixed()).toBe('84000');
  });
});

describe('point-in-time reads reveal nothing dated after asOf', () => {
  const asOf = '2026-11-12';
  const periods: readonly AttributionPeriod[] = ATTRIBUTION_PERIODS.filter((p) => p !== 'CUSTOM');

  /** Every field of book, risk and every attribution breakdown of every period as of `asOf`. */
  async function everything(portfolio: Portfolio) {
    const q = { portfolioId: portfolio.code };
    const attributions = [];
    for (const period of periods) attributions.push(await getAttribution(recordingDeps(db, clock), manager, { ...q, period, asOf }));
    attributions.push(await getAttribution(recordingDeps(db, clock), manager, { ...q, period: 'CUSTOM', from: '2026-11-03', to: asOf }));
    return plain({
      book: await getBook(recordingDeps(db, clock), manager, { ...q, asOf }),
      risk: await getRiskLive(recordingDeps(db, clock), manager, { ...q, asOf }),
      attributions,
    });
  }

  it('book, risk and attribution as of a past date are identical before and after later closes, marks and opens', async () => {
    const portfolio = await createPortfolio(db);
    const eq = await open(portfolio, equity, { notional: '10000000', price: '120000', date: '2026-11-02', strategies: ['CROSS_01'] });
    const di = await open(portfolio, rates, { notional: '50000000', price: '88000', date: '2026-11-03', rate: '11.5', du: 300, strategies: ['RATES_BR_01', 'RATES_BR_02'] });
    const em = await open(portfolio, cross, { notional: '8000000', price: '100', date: '2026-11-04', strategies: ['FX_04'] });
    const usd = await open(portfolio, fx, { direction: 'SHORT', notional: '20000000', price: '5.3', date: '2026-11-04', strategies: ['FX_BR_01'] });
    const early = await open(portfolio, equity, { notional: '3000000', price: '119000', date: '2026-11-05', strategies: ['CROSS_02'] });
    await mark(portfolio, '2026-11-06', { [equity.ticker]: '121000', [rates.ticker]: '88050', [cross.ticker]: '101', [fx.ticker]: '5.25' });
    await mark(portfolio, '2026-11-10', { [equity.ticker]: '119500', [rates.ticker]: '88120.5', [cross.ticker]: '100.5', [fx.ticker]: '5.31' });
    await close(early.id, '119800', '2026-11-11');
    await mark(portfolio, asOf, { [equity.ticker]: '122250', [rates.ticker]: '88190.25', [cross.ticker]: '102', [fx.ticker]: '5.28' });

    const before = await everything(portfolio);

    // Later writes, all dated after asOf: marks, closes of positions open at asOf, and an open.
    await mark(portfolio, '2026-11-13', { [equity.ticker]: '123000', [rates.ticker]: '88200', [cross.ticker]: '103', [fx.ticker]: '5.2' });
    await close(em.id, '104', '2026-11-16');
    await open(portfolio, cross, { notional: '4000000', price: '103', date: '2026-11-16', strategies: ['FX_04'] });
    await mark(portfolio, '2026-11-17', { [equity.ticker]: '118000', [rates.ticker]: '88300', [fx.ticker]: '5.1' });
    await close(eq.id, '117000', '2026-11-18');
    await close(di.id, '88410', '2026-11-19');

    const after = await everything(portfolio);
    expect(after).toEqual(before);

    // The later writes did happen and do show today: the closes and the open are in today's book.
    const todayBook = await getBook(recordingDeps(db, clock), manager, { portfolioId: portfolio.code });
    expect(todayBook.positions.map((p) => p.id).sort()).not.toContain(eq.id);
    expect(todayBook.positions).toHaveLength(2);
    expect(todayBook.summary.realizedPnlBrl.eq((before as { book: { summary: { realizedPnlBrl: string } } }).book.summary.realizedPnlBrl)).toBe(false);

    // And as of asOf, the positions closed later look as they were then.
    const past = await getBook(recordingDeps(db, clock), manager, { portfolioId: portfolio.code, asOf });
    const pastEm = past.positions.find((p) => p.id === em.id);
    expect(pastEm).toMatchObject({ isOpen: true, closedAt: null, closePrice: null, lastMarkDate: asOf, notes: null, version: 4 });
    // Entry cost only (2 bps on 8M = 1,600), not entry + exit.
    expect(pastEm?.transactionCostBrl.toFixed()).toBe('1600');
    expect(pastEm?.realizedPnlBrl.toFixed()).toBe('0');
    expect(past.positions.map((p) => p.id).sort()).toEqual([eq.id, di.id, em.id, usd.id].sort());
    const mtd = await getAttribution(recordingDeps(db, clock), manager, { portfolioId: portfolio.code, period: 'MTD', asOf });
    // EMFX entered 11-04 and closed 11-16: as of 11-12 it has been held 8 days, not 12.
    expect(mtd.byInstrument.find((r) => r.positionId === em.id)?.holdingDays).toBe(8);
    expect(mtd.byInstrument.find((r) => r.positionId === early.id)?.holdingDays).toBe(6);
  });
});
