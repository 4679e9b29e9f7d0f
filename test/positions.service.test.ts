import { dec } from '../src/domain/decimal';
import { pnlBrl, transactionCost } from '../src/domain/pricing';
import type { Instrument, Portfolio } from '../src/domain/types';
import { verifyJournalChain } from '../src/data/journal.repository';
import { closePosition, openPosition, recordOutcome } from '../src/services/positions.service';
import { markToMarket } from '../src/services/mark-to-market.service';
import { fixedClock } from './support/clock';
import { testDb } from './support/db';
import { actor, addPrices, countRows, createInstrument, createPortfolio, recordingDeps } from './support/factories';

const db = testDb();
const clock = fixedClock('2026-11-20T15:00:00Z'); // Friday 2026-11-20 in São Paulo
const manager = actor('MANAGER');
let portfolio: Portfolio;
let di: Instrument;
let ibov: Instrument;

beforeAll(async () => {
  portfolio = await createPortfolio(db);
  di = await createInstrument(db, 'DI1', 'RATES', 'PU');
  ibov = await createInstrument(db, 'IBOV_FUT', 'EQUITY');
});
afterAll(() => db.destroy());

function open(overrides: Partial<Parameters<typeof openPosition>[2]> = {}) {
  const deps = recordingDeps(db, clock);
  return {
    deps,
    result: openPosition(deps, manager, {
      portfolioId: portfolio.code,
      ticker: ibov.ticker,
      direction: 'LONG',
      notionalBrl: dec('10000000'),
      entryPrice: dec('125000'),
      entryFxRate: dec('5.0'),
      entryDate: '2026-11-16',
      thesis: 'Equities cheap after the sell-off',
      strategyIds: ['CROSS_01'],
      ...overrides,
    }),
  };
}

describe('openPosition', () => {
  it('creates a proposal born APPROVED, the position with its entry cost, and an OPEN entry naming both', async () => {
    const { deps, result } = open();
    const position = await result;
    expect(position).toMatchObject({ ticker: ibov.ticker, direction: 'LONG', isOpen: true, entryDate: '2026-11-16' });
    expect(position.currentPrice.eq('125000')).toBe(true);
    // IBOV_FUT costs 1.5 bps: 10,000,000 × 1.5 / 10,000 = 1,500 BRL.
    expect(position.transactionCostBrl.eq(1500)).toBe(true);
    const proposal = await db('trade_proposals').where({ id: position.proposalId }).first();
    expect(proposal).toMatchObject({ status: 'APPROVED', signal_source: 'DISCRETIONARY', conviction: 1, position_id: position.id, reviewed_by: manager.id });
    const entries = await db('journal_entries').where({ position_id: position.id });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ type: 'OPEN', proposal_id: position.proposalId, actor: manager.id });
    expect(deps.announced).toEqual([{ operation: 'openPosition', portfolioId: portfolio.id }]);
  });

  it.each([
    ['thesis', { thesis: 'meh' }],
    ['notionalBrl', { notionalBrl: dec(0) }],
    ['entryPrice', { entryPrice: dec(-1) }],
    ['ticker', { ticker: 'NOPE_UNKNOWN' }],
    ['entryDate', { entryDate: '2026-12-01' }],
  ])('refuses an invalid %s with BAD_USER_INPUT and writes nothing', async (field, overrides) => {
    const before = await countRows(db, 'positions', { portfolio_id: portfolio.id });
    const journalBefore = await countRows(db, 'journal_entries', { portfolio_id: portfolio.id });
    const { deps, result } = open(overrides);
    await expect(result).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(await countRows(db, 'positions', { portfolio_id: portfolio.id })).toBe(before);
    expect(await countRows(db, 'journal_entries', { portfolio_id: portfolio.id })).toBe(journalBefore);
    expect(deps.announced).toEqual([]);
  });

  it('returns the first result for a retried idempotency key and writes nothing more', async () => {
    const key = `open-${Date.now()}-retry`;
    const first = await open({ idempotencyKey: key }).result;
    const count = await countRows(db, 'positions', { portfolio_id: portfolio.id });
    const { deps, result } = open({ idempotencyKey: key });
    const second = await result;
    expect(second.id).toBe(first.id);
    expect(await countRows(db, 'positions', { portfolio_id: portfolio.id })).toBe(count);
    expect(deps.announced).toEqual([]);
  });

  it('refuses an idempotency key reused with different arguments', async () => {
    const key = `open-${Date.now()}-reuse`;
    await open({ idempotencyKey: key }).result;
    await expect(open({ idempotencyKey: key, notionalBrl: dec('2000000') }).result).rejects.toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
    });
  });

  it('is FORBIDDEN to a viewer and to a manager of another portfolio', async () => {
    const deps = recordingDeps(db, clock);
    const input = { portfolioId: portfolio.code, ticker: ibov.ticker, direction: 'LONG' as const, notionalBrl: dec(1), entryPrice: dec(1), entryFxRate: dec(5), thesis: 'a thesis' };
    await expect(openPosition(deps, actor('VIEWER'), input)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(openPosition(deps, actor('MANAGER', ['OTHER_FUND']), input)).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});

describe('closePosition', () => {
  it('realizes P&L net of entry and exit costs and writes it into the daily series', async () => {
    const position = await open().result;
    const deps = recordingDeps(db, clock);
    const closed = await closePosition(deps, manager, {
      positionId: position.id,
      closePrice: dec('131250'),
      closeDate: '2026-11-20',
      outcomeNotes: 'Target reached',
      fxRate: dec(5),
    });
    // 10M × (131,250 / 125,000 − 1) = 500,000; minus 1,500 entry and 1,500 exit = 497,000.
    expect(closed.realizedPnlBrl.eq(497_000)).toBe(true);
    expect(closed.realizedPnlUsd.eq(99_400)).toBe(true);
    expect(closed).toMatchObject({ isOpen: false, closedAt: '2026-11-20' });
    expect(closed.unrealizedPnlBrl.isZero()).toBe(true);
    expect(closed.transactionCostBrl.eq(3000)).toBe(true);
    const snapshot = await db('pnl_snapshots').where({ position_id: position.id, date: '2026-11-20' }).first();
    expect(dec(snapshot.realized_pnl_brl).eq(497_000)).toBe(true);
    expect(dec(snapshot.daily_pnl_brl).eq(497_000)).toBe(true);
    const types = (await db('journal_entries').where({ position_id: position.id }).orderBy('id')).map((e) => e.type);
    expect(types).toEqual(['OPEN', 'CLOSE', 'NOTE']);
  });

  it('measures the close-day P&L against the previous snapshot so the life total equals realized', async () => {
    const position = await open({ notionalBrl: dec('4000000') }).result;
    const deps = recordingDeps(db, clock);
    await markToMarket(deps, manager, { portfolioId: portfolio.id, asOf: '2026-11-17', prices: [{ ticker: ibov.ticker, price: dec('127500') }], fxRate: dec(5) });
    const closed = await closePosition(deps, manager, { positionId: position.id, closePrice: dec('126000'), closeDate: '2026-11-19' });
    const rows = await db('pnl_snapshots').where({ position_id: position.id }).orderBy('date');
    const lifeTotal = rows.reduce((acc, r) => acc.plus(r.daily_pnl_brl), dec(0));
    expect(lifeTotal.eq(closed.realizedPnlBrl)).toBe(true);
  });

  it('refuses to close twice with POSITION_ALREADY_CLOSED, also when two closes race', async () => {
    const position = await open().result;
    const deps = recordingDeps(db, clock);
    const attempt = () => closePosition(deps, manager, { positionId: position.id, closePrice: dec('126000') });
    const results = await Promise.allSettled([attempt(), attempt()]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(failed?.reason).toMatchObject({ code: 'POSITION_ALREADY_CLOSED' });
    expect(await countRows(db, 'journal_entries', { position_id: position.id, type: 'CLOSE' })).toBe(1);
  });

  it('answers NOT_FOUND for an unknown position', async () => {
    await expect(
      closePosition(recordingDeps(db, clock), manager, { positionId: '00000000-0000-4000-8000-000000000000', closePrice: dec(1) }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('markToMarket', () => {
  let fund: Portfolio;
  beforeAll(async () => {
    fund = await createPortfolio(db);
  });

  it('measures daily P&L against the previous day, so a second run on a day replaces it', async () => {
    const deps = recordingDeps(db, clock);
    // RATES: PU pricing, LONG = receive fixed.
    const pos = await openPosition(deps, manager, {
      portfolioId: fund.id, ticker: di.ticker, direction: 'LONG', notionalBrl: dec('50000000'),
      entryPrice: dec('88000'), entryFxRate: dec(5), entryDate: '2026-11-16', thesis: 'Receive DI on fiscal relief',
      ratePct: dec('11.5'), businessDays: 500,
    });
    await addPrices(db, di, { '2026-11-17': '88100', '2026-11-18': '88150' });
    await markToMarket(deps, manager, { portfolioId: fund.id, asOf: '2026-11-17', fxRate: dec(5) });
    const first = await markToMarket(deps, manager, { portfolioId: fund.id, asOf: '2026-11-18', fxRate: dec(5) });
    const again = await markToMarket(deps, manager, { portfolioId: fund.id, asOf: '2026-11-18', fxRate: dec(5) });
    // (88,150 − 88,100) × 50M / 100,000 = 25,000 on the 18th, twice the same.
    expect(dec(first.dailyPnlBrl).eq(25_000)).toBe(true);
    expect(again.dailyPnlBrl).toBe(first.dailyPnlBrl);
    const snaps = await db('pnl_snapshots').where({ position_id: pos.id }).orderBy('date');
    expect(snaps.map((s) => [s.date, dec(s.daily_pnl_brl).toNumber()])).toEqual([
      ['2026-11-17', 50_000],
      ['2026-11-18', 25_000],
    ]);
    const row = await db('positions').where({ id: pos.id }).first();
    expect(dec(row.unrealized_pnl_brl).eq(pnlBrl({ ...pos, assetClass: 'RATES' }, dec('88150')))).toBe(true);
  });

  it('reports a close older than three days as stale and falls back to the entry price without one', async () => {
    const fx = await createPortfolio(db);
    const spot = await createInstrument(db, 'USDBRL', 'FX', 'SPOT');
    const noPrice = await createInstrument(db, 'CDS_BR', 'CREDIT', 'SPREAD_BPS');
    const deps = recordingDeps(db, clock);
    const base = { portfolioId: fx.id, direction: 'SHORT' as const, notionalBrl: dec('1000000'), entryFxRate: dec(5), entryDate: '2026-11-10', thesis: 'Real to strengthen' };
    await openPosition(deps, manager, { ...base, ticker: spot.ticker, entryPrice: dec('5.10') });
    await openPosition(deps, manager, { ...base, ticker: noPrice.ticker, entryPrice: dec('180') });
    await addPrices(db, spot, { '2026-11-13': '5.00' });
    const result = await markToMarket(deps, manager, { portfolioId: fx.id, asOf: '2026-11-18', fxRate: dec(5) });
    const bySource = Object.fromEntries(result.marks.map((m) => [m.ticker, m]));
    expect(bySource[spot.ticker]).toMatchObject({ source: 'MARKET', priceDate: '2026-11-13', stale: true, price: '5' });
    expect(bySource[noPrice.ticker]).toMatchObject({ source: 'ENTRY', stale: true });
    expect(result.staleCount).toBe(2);
    const event = await db('journal_entries').where({ portfolio_id: fx.id, type: 'SYSTEM_EVENT' }).first();
    expect(event.system_notes).toContain('stale prices');
    expect(deps.announced.at(-1)).toEqual({ operation: 'markToMarket', portfolioId: fx.id });
  });

  it('is allowed to a risk officer and forbidden to a viewer', async () => {
    const deps = recordingDeps(db, clock);
    await expect(markToMarket(deps, actor('RISK_OFFICER'), { portfolioId: fund.id, asOf: '2026-11-19', fxRate: dec(5) })).resolves.toBeDefined();
    await expect(markToMarket(deps, actor('VIEWER'), { portfolioId: fund.id })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});

describe('the journal', () => {
  it('keeps a valid hash chain and refuses UPDATE and DELETE', async () => {
    const fund = await createPortfolio(db);
    const deps = recordingDeps(db, clock);
    const pos = await openPosition(deps, manager, {
      portfolioId: fund.id, ticker: ibov.ticker, direction: 'SHORT', notionalBrl: dec('2000000'),
      entryPrice: dec('130000'), entryFxRate: dec(5), thesis: 'Hedge the book',
    });
    await recordOutcome(deps, manager, { positionId: pos.id, notes: 'Hedge sized right' });
    expect(await verifyJournalChain(db, fund.id)).toEqual({ entries: 2, valid: true, brokenAt: null });
    await expect(db('journal_entries').where({ portfolio_id: fund.id }).update({ manager_notes: 'rewritten' })).rejects.toThrow(/append-only/);
    await expect(db('journal_entries').where({ portfolio_id: fund.id }).delete()).rejects.toThrow(/append-only/);
  });

  it('charges a cost of |notional| × bps / 10000 per side', () => {
    expect(transactionCost(dec('-2000000'), dec('5')).eq(1000)).toBe(true);
  });
});
