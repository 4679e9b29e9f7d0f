import { dec } from '../src/domain/decimal';
import type { Instrument, Portfolio } from '../src/domain/types';
import { openPosition } from '../src/services/positions.service';
import {
  approveProposal, generateProposals, listPortfolioProposals, modifyAndApproveProposal, rejectProposal,
} from '../src/services/proposals.service';
import { fixedClock } from './support/clock';
import { testDb } from './support/db';
import { actor, addPrices, countRows, createInstrument, createPendingProposal, createPortfolio, recordingDeps } from './support/factories';

const db = testDb();
const clock = fixedClock('2026-11-20T15:00:00Z');
const manager = actor('MANAGER');
const admin = actor('ADMIN');
let usd: Instrument;
let ibov: Instrument;
let di: Instrument;

/** A portfolio with some diversified exposure, so that one more trade passes the weight check. */
async function fundWithBook(): Promise<Portfolio> {
  const fund = await createPortfolio(db);
  const deps = recordingDeps(db, clock);
  const base = { portfolioId: fund.id, direction: 'LONG' as const, entryFxRate: dec(5), entryDate: '2026-11-16', thesis: 'Existing book' };
  await openPosition(deps, admin, { ...base, ticker: di.ticker, notionalBrl: dec('30000000'), entryPrice: dec('88000') });
  await openPosition(deps, admin, { ...base, ticker: ibov.ticker, notionalBrl: dec('30000000'), entryPrice: dec('125000') });
  return fund;
}

beforeAll(async () => {
  usd = await createInstrument(db, 'USDBRL', 'FX', 'SPOT');
  ibov = await createInstrument(db, 'IBOV_FUT', 'EQUITY');
  di = await createInstrument(db, 'DI1', 'RATES', 'PU');
  await addPrices(db, usd, { '2026-11-19': '5.05' });
});
afterAll(() => db.destroy());

describe('approveProposal', () => {
  it('approves a PENDING proposal at the latest close, opens the position and journals OPEN with the proposal id', async () => {
    const fund = await fundWithBook();
    const id = await createPendingProposal(db, fund, usd, { notional: '10000000' });
    const deps = recordingDeps(db, clock);
    const approved = await approveProposal(deps, manager, { proposalId: id });
    expect(approved).toMatchObject({ status: 'APPROVED', reviewedBy: manager.id });
    expect(approved.executionPrice?.eq('5.05')).toBe(true);
    expect(approved.executionNotionalBrl?.eq('10000000')).toBe(true);
    const position = await db('positions').where({ id: approved.positionId }).first();
    expect(position).toMatchObject({ proposal_id: id, direction: 'LONG', is_open: true, entry_date: '2026-11-20' });
    expect(await countRows(db, 'journal_entries', { proposal_id: id, type: 'OPEN' })).toBe(1);
    expect(deps.announced).toEqual([{ operation: 'approveProposal', portfolioId: fund.id }]);
  });

  it('refuses a proposal that is not PENDING with PROPOSAL_NOT_PENDING', async () => {
    const fund = await fundWithBook();
    const id = await createPendingProposal(db, fund, usd);
    const deps = recordingDeps(db, clock);
    await approveProposal(deps, manager, { proposalId: id });
    await expect(approveProposal(deps, manager, { proposalId: id })).rejects.toMatchObject({ code: 'PROPOSAL_NOT_PENDING', status: 'APPROVED' });
    await expect(rejectProposal(deps, manager, { proposalId: id, notes: 'too late' })).rejects.toMatchObject({ code: 'PROPOSAL_NOT_PENDING' });
  });

  it('treats a PENDING proposal of an earlier business day as EXPIRED', async () => {
    const fund = await fundWithBook();
    const id = await createPendingProposal(db, fund, usd, { asOfDate: '2026-11-18' });
    await expect(approveProposal(recordingDeps(db, clock), manager, { proposalId: id })).rejects.toMatchObject({ status: 'EXPIRED' });
    const listed = await listPortfolioProposals(recordingDeps(db, clock), manager, { portfolioId: fund.id, status: 'EXPIRED' });
    expect(listed.map((p) => p.id)).toContain(id);
  });

  it('rejects a breach of the pre-trade limits with PRE_TRADE_LIMIT_BREACHED and writes nothing, unless an ADMIN overrides', async () => {
    const fund = await fundWithBook();
    const id = await createPendingProposal(db, fund, usd, { notional: '60000000' });
    const deps = recordingDeps(db, clock);
    await expect(approveProposal(deps, manager, { proposalId: id })).rejects.toMatchObject({ code: 'PRE_TRADE_LIMIT_BREACHED', check: 'NOTIONAL' });
    await expect(approveProposal(deps, manager, { proposalId: id, overridePreTrade: true })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await countRows(db, 'positions', { proposal_id: id })).toBe(0);
    const approved = await approveProposal(deps, admin, { proposalId: id, overridePreTrade: true });
    expect(approved.status).toBe('APPROVED');
  });

  it('fails the asset-class weight check when the class would be half the book', async () => {
    const fund = await fundWithBook(); // 30M RATES + 30M EQUITY
    const id = await createPendingProposal(db, fund, ibov, { notional: '40000000' }); // EQUITY 70M of 100M
    await expect(approveProposal(recordingDeps(db, clock), manager, { proposalId: id, executionPrice: dec('126000') })).rejects.toMatchObject({
      code: 'PRE_TRADE_LIMIT_BREACHED', check: 'ASSET_CLASS_WEIGHT',
    });
  });
});

describe('modifyAndApproveProposal', () => {
  it('requires an execution price and a real change, then records MODIFIED and a MODIFY entry with both terms', async () => {
    const fund = await fundWithBook();
    const id = await createPendingProposal(db, fund, usd, { notional: '8000000' });
    const deps = recordingDeps(db, clock);
    await expect(
      modifyAndApproveProposal(deps, manager, { proposalId: id, executionPrice: undefined as never, executionNotionalBrl: dec('4000000') }),
    ).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'executionPrice' });
    await expect(
      modifyAndApproveProposal(deps, manager, { proposalId: id, executionPrice: dec('5.02') }),
    ).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    const modified = await modifyAndApproveProposal(deps, manager, {
      proposalId: id, executionPrice: dec('5.02'), executionNotionalBrl: dec('4000000'), direction: 'SHORT',
    });
    expect(modified).toMatchObject({ status: 'MODIFIED', direction: 'SHORT' });
    const entry = await db('journal_entries').where({ proposal_id: id, type: 'MODIFY' }).first();
    expect(entry.system_notes).toContain('Original: LONG 8000000.00 BRL');
    expect(entry.system_notes).toContain('new: SHORT 4000000.00 BRL @ 5.02');
  });
});

describe('rejectProposal', () => {
  it('needs notes of at least 3 characters, then sets REJECTED and journals REJECT, announcing the change after commit', async () => {
    const fund = await fundWithBook();
    const id = await createPendingProposal(db, fund, usd);
    const deps = recordingDeps(db, clock);
    await expect(rejectProposal(deps, manager, { proposalId: id, notes: 'no' })).rejects.toMatchObject({ field: 'notes' });
    const rejected = await rejectProposal(deps, manager, { proposalId: id, notes: 'Carry not worth the risk' });
    expect(rejected).toMatchObject({ status: 'REJECTED', notes: 'Carry not worth the risk', positionId: null });
    expect(await countRows(db, 'journal_entries', { proposal_id: id, type: 'REJECT' })).toBe(1);
    expect(deps.announced).toEqual([{ operation: 'rejectProposal', portfolioId: fund.id }]);
  });
});

describe('generateProposals', () => {
  it('keeps conviction ≥ 0.55, strongest first, at most five a day, one pending per instrument, and flags flips', async () => {
    const fund = await fundWithBook(); // LONG DI and LONG IBOV open
    const extra = await Promise.all([1, 2, 3, 4].map(() => createInstrument(db, 'UST', 'SOVEREIGN')));
    const deps = recordingDeps(db, clock);
    const signal = (ticker: string, conviction: number, direction: 'LONG' | 'SHORT' = 'LONG') => ({ ticker, direction, conviction, signalSource: 'MOMENTUM_MODEL', strategyIds: ['SOV_01'] });
    const result = await generateProposals(deps, manager, {
      portfolioId: fund.id,
      signals: [
        signal(ibov.ticker, 0.62, 'SHORT'), // flip against the open LONG
        signal(di.ticker, 0.58, 'SHORT'), // opposite, but below the flip threshold
        signal(usd.ticker, 0.5), // too weak
        ...extra.map((i, n) => signal(i.ticker, 0.9 - n * 0.05)),
        signal(ibov.ticker, 0.61, 'SHORT'), // same instrument again
      ],
    });
    expect(result.created.map((p) => p.conviction)).toEqual([0.9, 0.85, 0.8, 0.75, 0.62]);
    expect(result.created.find((p) => p.ticker === ibov.ticker)).toMatchObject({ isFlip: true, status: 'PENDING' });
    expect(result.skipped).toEqual(expect.arrayContaining([
      { ticker: usd.ticker, reason: 'LOW_CONVICTION' },
      { ticker: ibov.ticker, reason: 'DUPLICATE_SIGNAL' },
      { ticker: di.ticker, reason: 'DAILY_LIMIT' },
    ]));
    // Default size: 10% of AUM × conviction, in thousands: 100M × 0.1 × 0.9 = 9,000,000.
    expect(result.created[0]?.suggestedNotionalBrl.eq(9_000_000)).toBe(true);
    expect(result.created[0]?.riskImpact?.grossLeverageAfter).toBeCloseTo(0.69);

    const again = await generateProposals(deps, manager, { portfolioId: fund.id, signals: [signal(di.ticker, 0.7)] });
    expect(again).toEqual({ created: [], skipped: [{ ticker: di.ticker, reason: 'DAILY_LIMIT' }] });
  });
});
