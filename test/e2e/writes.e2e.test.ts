import { randomUUID } from 'node:crypto';
import {
  ApproveProposalDocument, ClosePositionDocument, GenerateMorningPackDocument, GenerateProposalsDocument, JournalDocument,
  MarkToMarketDocument, ModifyAndApproveProposalDocument, OpenPositionDocument, PositionDocument, PositionsDocument,
  RecordOutcomeDocument, RejectProposalDocument, TradeProposalDocument,
  type Direction, type JournalEntryType, type OpenPositionInput,
} from '../../client/generated/graphql';
import { findInstrumentByTicker } from '../../src/data/instrument.repository';
import { findPortfolioByRef } from '../../src/data/portfolio.repository';
import { D, dec, type Decimal } from '../../src/domain/decimal';
import type { Portfolio } from '../../src/domain/types';
import { signToken } from '../../src/server/auth';
import { fixedClock } from '../support/clock';
import { testDb } from '../support/db';
import { DEMO_AS_OF, DEMO_NOW } from '../support/demo';
import { actor, countRows, createPendingProposal, uid } from '../support/factories';
import { codes, startTestGateway, type GraphQLResponse, type TestGateway } from '../support/gateway';
import { dataOf, seedFund, type SeededFund } from './harness';

/**
 * Every mutation over HTTP through the generated documents, against a freshly seeded fund. Each
 * test opens its own positions and files its own proposals, so the tests do not depend on order.
 */

const db = testDb();
const clock = fixedClock(DEMO_NOW);
let gateway: TestGateway;
let fund: SeededFund;
let portfolio: Portfolio;
let managerToken: string;
const MANAGER_ID = 'e2e.manager';

beforeAll(async () => {
  fund = await seedFund(db);
  portfolio = (await findPortfolioByRef(db, fund.code))!;
  gateway = await startTestGateway(db, clock);
  managerToken = gateway.token(actor('MANAGER', [fund.code], MANAGER_ID));
}, 30_000);

afterAll(async () => {
  await gateway.stop();
  await db.destroy();
});

function expectDecimal(actual: string | Decimal | null | undefined, expected: string | Decimal): void {
  expect(actual == null ? actual : dec(actual).toFixed()).toBe(dec(expected).toFixed());
}

/** Rows the fund has in the tables a write touches: a refused write leaves all of them as they were. */
async function footprint(portfolioId = fund.id): Promise<Record<string, number>> {
  const tables = ['positions', 'trade_proposals', 'journal_entries', 'pnl_snapshots', 'morning_packs'] as const;
  const counts = await Promise.all(tables.map((t) => countRows(db, t, { portfolio_id: portfolioId })));
  return Object.fromEntries(tables.map((t, i) => [t, counts[i]!]));
}

function openInput(overrides: Partial<OpenPositionInput> = {}): OpenPositionInput {
  return {
    portfolioId: fund.code,
    ticker: 'IBOV_FUT',
    direction: 'LONG',
    notionalBrl: '2000000',
    entryPrice: '130000',
    entryFxRate: '5.1',
    thesis: 'Equities cheap against earnings revisions',
    strategyIds: ['CROSS_01'],
    ...overrides,
  };
}

async function open(overrides: Partial<OpenPositionInput> = {}) {
  return dataOf(await gateway.execute(OpenPositionDocument, { input: openInput(overrides) }, managerToken)).openPosition;
}

/** A fresh PENDING proposal of asOf on a demo instrument, filed straight into the database. */
async function pendingProposal(ticker: string, notional: string, direction: Direction = 'LONG'): Promise<string> {
  const instrument = await findInstrumentByTicker(db, ticker);
  if (!instrument) throw new Error(`no demo instrument ${ticker}`);
  return createPendingProposal(db, portfolio, instrument, { direction, notional, asOfDate: DEMO_AS_OF, conviction: 0.7 });
}

async function journalTypes(filter: { positionId?: string; proposalId?: string }): Promise<JournalEntryType[]> {
  const { journal } = dataOf(await gateway.execute(JournalDocument, { portfolioId: fund.code, ...filter, first: 200 }, managerToken));
  return journal.entries.map((e) => e.type).sort();
}

/** The instrument's cost per side in bps, as the API reports it. */
async function costBpsOf(positionId: string): Promise<Decimal> {
  const { positions } = dataOf(await gateway.execute(PositionsDocument, { portfolioId: fund.code, status: 'ALL' }, managerToken));
  return dec(positions.find((p) => p.id === positionId)!.instrument.costBps);
}

/** DOMAIN §2: PU P&L for RATES, a return on notional for everything else. */
function pnlAt(assetClass: string, direction: Direction, notional: string, entry: string, price: string): Decimal {
  const sign = direction === 'LONG' ? 1 : -1;
  if (assetClass === 'RATES') return dec(price).minus(entry).times(notional).div(100000).times(sign);
  return dec(notional).times(dec(price).div(entry).minus(1)).times(sign);
}

describe('openPosition', () => {
  it('opens a discretionary position listed by positions, with its entry cost and an OPEN entry naming its proposal', async () => {
    const position = await open();
    const costBps = await costBpsOf(position.id);

    expect(position).toMatchObject({ ticker: 'IBOV_FUT', direction: 'LONG', isOpen: true, entryDate: DEMO_AS_OF });
    expectDecimal(position.currentPrice, '130000');
    expectDecimal(position.transactionCostBrl, dec('2000000').times(costBps).div(10000));
    expect(position.proposal).toMatchObject({ status: 'APPROVED', signalSource: 'DISCRETIONARY', conviction: 1 });

    const { positions } = dataOf(await gateway.execute(PositionsDocument, { portfolioId: fund.code }, managerToken));
    expect(positions.map((p) => p.id)).toContain(position.id);
    const { journal } = dataOf(await gateway.execute(JournalDocument, { portfolioId: fund.code, positionId: position.id }, managerToken));
    expect(journal.entries).toHaveLength(1);
    expect(journal.entries[0]).toMatchObject({ type: 'OPEN', proposalId: position.proposal!.id, actor: MANAGER_ID, direction: 'LONG' });
    expectDecimal(journal.entries[0]!.notionalBrl, '2000000');
  });
});

describe('closePosition', () => {
  it.each<[string, Direction, string, string, string]>([
    ['IBOV_FUT', 'SHORT', '3000000', '130000', '128700'],
    ['DI1F28', 'LONG', '10000000', '88000.5', '88150.25'],
  ])('realizes %s %s P&L at the close price less entry and exit costs, into the day\'s snapshot', async (ticker, direction, notional, entry, exit) => {
    const opened = await open({ ticker, direction, notionalBrl: notional, entryPrice: entry, strategyIds: [] });
    const costBps = await costBpsOf(opened.id);
    const costPerSide = dec(notional).times(costBps).div(10000);
    const expected = pnlAt(opened.assetClass, direction, notional, entry, exit).minus(costPerSide).minus(costPerSide);

    const { closePosition: closed } = dataOf(await gateway.execute(ClosePositionDocument, {
      input: { positionId: opened.id, closePrice: exit, outcomeNotes: 'Target reached, book the gain' },
    }, managerToken));

    expect(closed).toMatchObject({ id: opened.id, isOpen: false, closedAt: DEMO_AS_OF });
    expectDecimal(closed.closePrice, exit);
    expectDecimal(closed.realizedPnlBrl, expected);
    expectDecimal(closed.unrealizedPnlBrl, '0');
    expectDecimal(closed.transactionCostBrl, costPerSide.times(2));
    // Opened today, so no earlier snapshot: the day's P&L is the whole realized amount.
    const snapshot = await db('pnl_snapshots').where({ position_id: opened.id, date: DEMO_AS_OF }).first();
    expectDecimal(snapshot.realized_pnl_brl, expected);
    expectDecimal(snapshot.daily_pnl_brl, expected);
    expect(await journalTypes({ positionId: opened.id })).toEqual(['CLOSE', 'NOTE', 'OPEN']);
  });

  it('refuses to close a position twice with POSITION_ALREADY_CLOSED, writing nothing', async () => {
    const opened = await open();
    dataOf(await gateway.execute(ClosePositionDocument, { input: { positionId: opened.id, closePrice: '131000' } }, managerToken));
    const before = await footprint();
    const again = await gateway.execute(ClosePositionDocument, { input: { positionId: opened.id, closePrice: '132000' } }, managerToken);
    expect(codes(again)).toEqual(['POSITION_ALREADY_CLOSED']);
    expect(await footprint()).toEqual(before);
  });
});

describe('markToMarket', () => {
  it('marks an overridden ticker at its price (OVERRIDE), the day\'s P&L against the previous day, the same on a second run', async () => {
    const mine = await open({ ticker: 'ES', notionalBrl: '1000000', entryPrice: '5000', strategyIds: [] });
    const input = { portfolioId: fund.code, asOf: DEMO_AS_OF, prices: [{ ticker: 'ES', price: '5100' }] };

    const first = dataOf(await gateway.execute(MarkToMarketDocument, { input }, managerToken)).markToMarket;
    const second = dataOf(await gateway.execute(MarkToMarketDocument, { input }, managerToken)).markToMarket;

    expect(first.asOf).toBe(DEMO_AS_OF);
    expect(second.dailyPnlBrl).toBe(first.dailyPnlBrl);
    expect(second.marks).toEqual(first.marks);
    const ours = first.marks.find((m) => m.positionId === mine.id)!;
    expect(ours).toMatchObject({ ticker: 'ES', source: 'OVERRIDE', stale: false });
    expectDecimal(ours.price, '5100');
    expectDecimal(ours.unrealizedPnlBrl, pnlAt('EQUITY', 'LONG', '1000000', '5000', '5100'));
    expectDecimal(ours.dailyPnlBrl, ours.unrealizedPnlBrl); // opened today: no previous day to measure against

    // The seeded ES short has a history: its day's P&L is measured against its snapshot of the day before.
    const seeded = first.marks.find((m) => m.ticker === 'ES' && m.positionId !== mine.id)!;
    const previous = await db('pnl_snapshots').where({ position_id: seeded.positionId }).andWhere('date', '<', DEMO_AS_OF)
      .orderBy('date', 'desc').first();
    expect(seeded.source).toBe('OVERRIDE');
    expectDecimal(seeded.dailyPnlBrl, dec(seeded.unrealizedPnlBrl).minus(previous.unrealized_pnl_brl));

    expect(first.marks.filter((m) => m.ticker !== 'ES').every((m) => m.source === 'MARKET' && m.priceDate === DEMO_AS_OF)).toBe(true);
    // The total is summed before rounding to 4 places, each mark after: they agree within that rounding.
    const ofMarks = first.marks.reduce((s, m) => s.plus(m.dailyPnlBrl), new D(0));
    expect(dec(first.dailyPnlBrl).minus(ofMarks).abs().toNumber()).toBeLessThanOrEqual(first.marks.length * 0.00005);
    const rows = await db('pnl_snapshots').where({ position_id: mine.id, date: DEMO_AS_OF });
    expect(rows).toHaveLength(1);
    expect(rows[0].is_manual_override).toBe(true);
  });
});

describe('approveProposal', () => {
  it('approves a PENDING proposal at the latest close and opens its position, linked both ways', async () => {
    const proposalId = await pendingProposal('UST2Y', '5000000');
    const instrument = (await findInstrumentByTicker(db, 'UST2Y'))!;
    const close = await db('market_prices').where({ instrument_id: instrument.id }).andWhere('date', '<=', DEMO_AS_OF)
      .orderBy('date', 'desc').first();

    const { approveProposal: approved } = dataOf(await gateway.execute(ApproveProposalDocument, {
      input: { proposalId, notes: 'Front end cheap' },
    }, managerToken));

    expect(approved).toMatchObject({ id: proposalId, status: 'APPROVED', reviewedBy: MANAGER_ID, positionId: approved.position?.id });
    expectDecimal(approved.executionPrice, close.close);
    expectDecimal(approved.executionNotionalBrl, '5000000');
    expect(approved.position).toMatchObject({ direction: 'LONG' });
    expectDecimal(approved.position!.entryPrice, close.close);
    expectDecimal(approved.position!.notionalBrl, '5000000');
    const { position } = dataOf(await gateway.execute(PositionDocument, { id: approved.position!.id }, managerToken));
    expect(position?.proposal?.id).toBe(proposalId);
    expect(await journalTypes({ proposalId })).toEqual(['OPEN']);
  });

  it('refuses a proposal over the 50M notional limit with PRE_TRADE_LIMIT_BREACHED, writing nothing', async () => {
    const proposalId = await pendingProposal('UST2Y', '50000001');
    const before = await footprint();
    const response = await gateway.execute(ApproveProposalDocument, { input: { proposalId } }, managerToken);
    expect(codes(response)).toEqual(['PRE_TRADE_LIMIT_BREACHED']);
    expect(response.errors?.[0]?.extensions).toMatchObject({ check: expect.any(String), limit: expect.any(Number) });
    expect(await footprint()).toEqual(before);
    const { tradeProposal } = dataOf(await gateway.execute(TradeProposalDocument, { id: proposalId }, managerToken));
    expect(tradeProposal?.status).toBe('PENDING');
  });
});

describe('modifyAndApproveProposal', () => {
  it.each<[string, { direction?: Direction; executionNotionalBrl?: string }, Direction, string]>([
    ['a smaller notional', { executionNotionalBrl: '4000000' }, 'LONG', '4000000'],
    ['the other direction', { direction: 'SHORT' }, 'SHORT', '6000000'],
  ])('approves with %s: status MODIFIED, the position at the new terms, a MODIFY entry', async (_, change, direction, notional) => {
    const proposalId = await pendingProposal('NTN_B_2030', '6000000');
    const { modifyAndApproveProposal: modified } = dataOf(await gateway.execute(ModifyAndApproveProposalDocument, {
      input: { proposalId, executionPrice: '4400.5', notes: 'Resized for liquidity', ...change },
    }, managerToken));

    expect(modified).toMatchObject({ status: 'MODIFIED', reviewedBy: MANAGER_ID, positionId: modified.position?.id });
    expect(modified.position?.direction).toBe(direction);
    expectDecimal(modified.position?.notionalBrl, notional);
    expectDecimal(modified.position?.entryPrice, '4400.5');
    expectDecimal(modified.executionNotionalBrl, notional);
    expect(await journalTypes({ proposalId })).toEqual(['MODIFY', 'OPEN']);
  });

  it('refuses a modification that changes neither direction nor notional with BAD_USER_INPUT, writing nothing', async () => {
    const proposalId = await pendingProposal('NTN_B_2030', '6000000');
    const before = await footprint();
    const response = await gateway.execute(ModifyAndApproveProposalDocument, {
      input: { proposalId, executionPrice: '4400.5', direction: 'LONG', executionNotionalBrl: '6000000.00' },
    }, managerToken);
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
    expect(await footprint()).toEqual(before);
    const { tradeProposal } = dataOf(await gateway.execute(TradeProposalDocument, { id: proposalId }, managerToken));
    expect(tradeProposal?.status).toBe('PENDING');
  });
});

describe('rejectProposal', () => {
  it('rejects a PENDING proposal with notes; rejecting it again is PROPOSAL_NOT_PENDING and writes nothing', async () => {
    const proposalId = await pendingProposal('UST2Y', '3000000');
    const { rejectProposal: rejected } = dataOf(await gateway.execute(RejectProposalDocument, {
      input: { proposalId, notes: 'Duration budget used up' },
    }, managerToken));
    expect(rejected).toMatchObject({ id: proposalId, status: 'REJECTED', reviewedBy: MANAGER_ID, notes: 'Duration budget used up', positionId: null });
    expect(await journalTypes({ proposalId })).toEqual(['REJECT']);

    const before = await footprint();
    const again = await gateway.execute(RejectProposalDocument, { input: { proposalId, notes: 'Still no' } }, managerToken);
    expect(codes(again)).toEqual(['PROPOSAL_NOT_PENDING']);
    expect(await footprint()).toEqual(before);
  });
});

describe('generateProposals', () => {
  // A fund of its own: its proposals of the day count towards the daily limit of five.
  let own: SeededFund;
  let token: string;
  beforeAll(async () => {
    own = await seedFund(db, 'E2E_SIG');
    token = gateway.token(actor('MANAGER', [own.code], MANAGER_ID));
  });

  it('creates the strongest signal and skips the rest by rule: pending, duplicate, daily limit, low conviction', async () => {
    const before = await countRows(db, 'trade_proposals', { portfolio_id: own.id, status: 'PENDING' });
    const { generateProposals: result } = dataOf(await gateway.execute(GenerateProposalsDocument, {
      input: {
        portfolioId: own.code,
        signals: [
          { ticker: 'IBOV_FUT', direction: 'LONG', conviction: 0.5, signalSource: 'MOMENTUM_MODEL' },
          { ticker: 'DDIF28', direction: 'SHORT', conviction: 0.62, signalSource: 'CARRY_MODEL' },
          { ticker: 'ES', direction: 'LONG', conviction: 0.8, signalSource: 'MOMENTUM_MODEL' },
          { ticker: 'DI1F29', direction: 'LONG', conviction: 0.85, signalSource: 'CARRY_MODEL' },
          { ticker: 'ES', direction: 'LONG', conviction: 0.9, signalSource: 'MOMENTUM_MODEL', strategyIds: ['CROSS_01'] },
        ],
      },
    }, token));

    // The seed left four model proposals PENDING today: one more reaches the limit of five.
    expect(before).toBe(4);
    expect(result.created).toHaveLength(1);
    const created = result.created[0]!;
    expect(created).toMatchObject({ ticker: 'ES', direction: 'LONG', status: 'PENDING', asOfDate: DEMO_AS_OF, isFlip: true, conviction: 0.9 });
    // No size given: 10% of AUM × conviction.
    expectDecimal(created.suggestedNotionalBrl, dec(100_000_000).times(0.1).times(0.9));
    expect(created.rationale).toMatch(/Reverses the open SHORT position/);
    expect(created.riskImpact?.grossLeverageAfter).toBeGreaterThan(created.riskImpact!.grossLeverageBefore);
    expect([...result.skipped].sort((a, b) => a.ticker.localeCompare(b.ticker) || a.reason.localeCompare(b.reason))).toEqual([
      { ticker: 'DDIF28', reason: 'DAILY_LIMIT' },
      { ticker: 'DI1F29', reason: 'ALREADY_PENDING' },
      { ticker: 'ES', reason: 'DUPLICATE_SIGNAL' },
      { ticker: 'IBOV_FUT', reason: 'LOW_CONVICTION' },
    ]);
    expect(await countRows(db, 'trade_proposals', { portfolio_id: own.id, status: 'PENDING' })).toBe(before + 1);
  });

  it('flags a flip only from conviction 0.60 against an open position of the other direction', async () => {
    // The next business day (Monday) has no proposals yet, so the daily limit leaves room for all
    // three. A past day would not do: its proposals would be EXPIRED at once (PROPOSAL_DATE_EXPIRED).
    clock.set('2025-12-01T18:00:00Z');
    const response = await gateway.execute(GenerateProposalsDocument, {
      input: {
        portfolioId: own.code,
        asOf: '2025-12-01',
        signals: [
          { ticker: 'UST10Y', direction: 'LONG', conviction: 0.7, signalSource: 'MEAN_REVERSION_MODEL', suggestedNotionalBrl: '2000000' },
          { ticker: 'DDIF28', direction: 'SHORT', conviction: 0.58, signalSource: 'CARRY_MODEL', suggestedNotionalBrl: '2000000' },
          { ticker: 'CDS_BR_5Y', direction: 'LONG', conviction: 0.6, signalSource: 'CARRY_MODEL', suggestedNotionalBrl: '2000000' },
        ],
      },
    }, token).finally(() => clock.set(DEMO_NOW));
    const { generateProposals: result } = dataOf(response);
    const flips = Object.fromEntries(result.created.map((p) => [p.ticker, p.isFlip]));
    expect(result.skipped).toEqual([]);
    expect(flips).toEqual({ UST10Y: false, DDIF28: false, CDS_BR_5Y: true });
    expect(result.created.every((p) => p.asOfDate === '2025-12-01')).toBe(true);
    expectDecimal(result.created[0]!.suggestedNotionalBrl, '2000000');
  });
});

describe('recordOutcome', () => {
  it('journals a NOTE on a position and returns the id of that entry', async () => {
    const position = await open();
    const { recordOutcome: entryId } = dataOf(await gateway.execute(RecordOutcomeDocument, {
      input: { positionId: position.id, notes: 'Entry was early; scale in next time' },
    }, managerToken));
    const { journal } = dataOf(await gateway.execute(JournalDocument, {
      portfolioId: fund.code, positionId: position.id, types: ['NOTE'],
    }, managerToken));
    expect(journal.entries).toHaveLength(1);
    expect(journal.entries[0]).toMatchObject({ id: entryId, type: 'NOTE', managerNotes: 'Entry was early; scale in next time', actor: MANAGER_ID });
  });
});

describe('generateMorningPack', () => {
  it('stores the pack of today once, generated by the caller', async () => {
    const risk = gateway.token(actor('RISK_OFFICER', [fund.code], 'e2e.risk'));
    const { generateMorningPack: pack } = dataOf(await gateway.execute(GenerateMorningPackDocument, {
      input: { portfolioId: fund.code, force: true },
    }, risk));
    expect(pack).toMatchObject({ portfolioId: fund.id, briefingDate: DEMO_AS_OF, generatedBy: 'e2e.risk' });
    expect(pack.narrative.length).toBeGreaterThan(0);
    expect(await countRows(db, 'morning_packs', { portfolio_id: fund.id, briefing_date: DEMO_AS_OF })).toBe(1);
  });
});

describe('errors', () => {
  it.each(['1,5', 'abc', '1e6', '', '0x10', '١٢'])('refuses the malformed Decimal variable %j with BAD_USER_INPUT, writing nothing', async (notional) => {
    const before = await footprint();
    const response = await gateway.execute(OpenPositionDocument, { input: openInput({ notionalBrl: notional }) }, managerToken);
    expect(codes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.data ?? null).toBeNull();
    expect(await footprint()).toEqual(before);
  });

  it('answers NOT_FOUND for a position that does not exist, writing nothing', async () => {
    const before = await footprint();
    const id = randomUUID();
    const close = await gateway.execute(ClosePositionDocument, { input: { positionId: id, closePrice: '100' } }, managerToken);
    const note = await gateway.execute(RecordOutcomeDocument, { input: { positionId: id, notes: 'Nothing to say' } }, managerToken);
    expect([codes(close), codes(note)]).toEqual([['NOT_FOUND'], ['NOT_FOUND']]);
    expect(await footprint()).toEqual(before);
  });

  // An id that is not a uuid cannot exist: it must never reach Postgres as a uuid parameter
  // (the cast error would surface as INTERNAL_SERVER_ERROR).
  it.each<[string, () => Promise<GraphQLResponse<unknown>>]>([
    ['closePosition', () => gateway.execute(ClosePositionDocument, { input: { positionId: 'not-a-uuid', closePrice: '100' } }, managerToken)],
    ['recordOutcome', () => gateway.execute(RecordOutcomeDocument, { input: { positionId: 'not-a-uuid', notes: 'Nothing' } }, managerToken)],
    ['approveProposal', () => gateway.execute(ApproveProposalDocument, { input: { proposalId: 'not-a-uuid' } }, managerToken)],
    ['rejectProposal', () => gateway.execute(RejectProposalDocument, { input: { proposalId: 'not-a-uuid', notes: 'Nope' } }, managerToken)],
  ])('answers %s of an id that is not a uuid with NOT_FOUND, not INTERNAL_SERVER_ERROR', async (_, call) => {
    expect(codes(await call())).toEqual(['NOT_FOUND']);
  });

  it('answers a journal filtered by a positionId that is not a uuid without an internal error', async () => {
    const response = await gateway.execute(JournalDocument, { portfolioId: fund.code, positionId: 'not-a-uuid' }, managerToken);
    expect(codes(response)).not.toContain('INTERNAL_SERVER_ERROR');
  });

  it('returns the first position for a retried idempotency key and creates nothing more', async () => {
    const idempotencyKey = `e2e-open-${uid(8)}`;
    const first = await open({ idempotencyKey });
    const before = await footprint();
    const retry = await open({ idempotencyKey });
    expect(retry.id).toBe(first.id);
    expect(retry.proposal?.id).toBe(first.proposal?.id);
    expect(await footprint()).toEqual(before);

    const reused = await gateway.execute(OpenPositionDocument, { input: openInput({ idempotencyKey, notionalBrl: '999000' }) }, managerToken);
    expect(codes(reused)).toEqual(['IDEMPOTENCY_KEY_REUSED']);
    expect(await footprint()).toEqual(before);
  });

  it.each<[string, () => string | undefined]>([
    ['without a token', () => undefined],
    ['with a garbage token', () => 'garbage'],
    ['with a token signed by another secret', () => signToken(
      { secret: 'another-secret-another-secret-another-0000', issuer: 'pms-gateway', audience: 'pms-gateway' },
      actor('ADMIN'), 3600,
    )],
  ])('answers UNAUTHENTICATED %s, writing nothing', async (_, token) => {
    const before = await footprint();
    const response = await gateway.execute(OpenPositionDocument, { input: openInput() }, token());
    expect(codes(response)).toEqual(['UNAUTHENTICATED']);
    expect(await footprint()).toEqual(before);
  });
});
