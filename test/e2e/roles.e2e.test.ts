import {
  ApproveProposalDocument, BookDocument, ClosePositionDocument, GenerateMorningPackDocument, MarkToMarketDocument,
  OpenPositionDocument, PortfoliosDocument, PositionDocument, PositionsDocument, RejectProposalDocument,
} from '../../client/generated/graphql';
import { findInstrumentByTicker } from '../../src/data/instrument.repository';
import { findPortfolioByRef } from '../../src/data/portfolio.repository';
import type { Portfolio, Role } from '../../src/domain/types';
import { fixedClock } from '../support/clock';
import { testDb } from '../support/db';
import { DEMO_AS_OF, DEMO_NOW } from '../support/demo';
import { actor, countRows, createPendingProposal, uid } from '../support/factories';
import { codes, startTestGateway, type GraphQLResponse, type TestGateway } from '../support/gateway';
import { dataOf, seedFund, type SeededFund } from './harness';

/**
 * The role matrix of src/services/access.ts over HTTP: VIEWER reads only; MANAGER trades, marks and
 * briefs but cannot override pre-trade checks; RISK_OFFICER marks and briefs; ADMIN does everything.
 * Each case prepares its own target (a position to close, a proposal to reject) as an ADMIN first.
 */

const db = testDb();
let gateway: TestGateway;
let fund: SeededFund;
let portfolio: Portfolio;
let adminToken: string;

beforeAll(async () => {
  fund = await seedFund(db);
  portfolio = (await findPortfolioByRef(db, fund.code))!;
  gateway = await startTestGateway(db, fixedClock(DEMO_NOW));
  adminToken = gateway.token(actor('ADMIN', '*', 'e2e.setup'));
}, 30_000);

afterAll(async () => {
  await gateway.stop();
  await db.destroy();
});

/** Everything of the fund a write could change: a refused call leaves all of it as it was. */
async function footprint(): Promise<unknown> {
  const [journal, positions, proposals, snapshots, packs] = await Promise.all([
    db('journal_entries').where({ portfolio_id: fund.id }).max<{ max: string | null }[]>({ max: 'id' }).first(),
    db('positions').where({ portfolio_id: fund.id }).select('id', 'version', 'is_open').orderBy('id'),
    db('trade_proposals').where({ portfolio_id: fund.id }).select('id', 'status', 'version').orderBy('id'),
    countRows(db, 'pnl_snapshots', { portfolio_id: fund.id }),
    db('morning_packs').where({ portfolio_id: fund.id }).select('id', 'generated_at', 'generated_by').orderBy('id'),
  ]);
  return { journal: journal?.max, positions, proposals, snapshots, packs };
}

async function openAsAdmin(): Promise<string> {
  const { openPosition } = dataOf(await gateway.execute(OpenPositionDocument, {
    input: {
      portfolioId: fund.code, ticker: 'IBOV_FUT', direction: 'LONG', notionalBrl: '100000', entryPrice: '130000',
      entryFxRate: '5', thesis: 'A target for the role matrix',
    },
  }, adminToken));
  return openPosition.id;
}

async function pending(): Promise<string> {
  const instrument = (await findInstrumentByTicker(db, 'UST2Y'))!;
  return createPendingProposal(db, portfolio, instrument, { notional: '1000000', asOfDate: DEMO_AS_OF });
}

type Action =
  | 'read book' | 'openPosition' | 'closePosition' | 'markToMarket' | 'rejectProposal' | 'generateMorningPack'
  | 'approve with overridePreTrade';

/** Prepares the action's target as ADMIN, then returns the call to make with the role's token. */
const ACTIONS: Record<Action, () => Promise<(token: string) => Promise<GraphQLResponse<unknown>>>> = {
  'read book': () => Promise.resolve((token) => gateway.execute(BookDocument, { portfolioId: fund.code }, token)),
  openPosition: () => Promise.resolve((token) => gateway.execute(OpenPositionDocument, {
    input: {
      portfolioId: fund.code, ticker: 'ES', direction: 'SHORT', notionalBrl: '100000', entryPrice: '5000',
      entryFxRate: '5', thesis: 'Hedge for the role matrix',
    },
  }, token)),
  closePosition: async () => {
    const positionId = await openAsAdmin();
    return (token) => gateway.execute(ClosePositionDocument, { input: { positionId, closePrice: '131000' } }, token);
  },
  markToMarket: () => Promise.resolve((token) => gateway.execute(MarkToMarketDocument, { input: { portfolioId: fund.code } }, token)),
  rejectProposal: async () => {
    const proposalId = await pending();
    return (token) => gateway.execute(RejectProposalDocument, { input: { proposalId, notes: 'Not in the plan' } }, token);
  },
  generateMorningPack: () => Promise.resolve((token) => gateway.execute(GenerateMorningPackDocument, {
    input: { portfolioId: fund.code, force: true },
  }, token)),
  'approve with overridePreTrade': async () => {
    const proposalId = await pending();
    return (token) => gateway.execute(ApproveProposalDocument, { input: { proposalId, overridePreTrade: true } }, token);
  },
};

/** The matrix as access.ts's roleAllows defines it. */
const ALLOWED: Record<Role, readonly Action[]> = {
  VIEWER: ['read book'],
  MANAGER: ['read book', 'openPosition', 'closePosition', 'markToMarket', 'rejectProposal', 'generateMorningPack'],
  RISK_OFFICER: ['read book', 'markToMarket', 'generateMorningPack'],
  ADMIN: Object.keys(ACTIONS) as Action[],
};

const ROLES: readonly Role[] = ['VIEWER', 'MANAGER', 'RISK_OFFICER', 'ADMIN'];
const CASES = ROLES.flatMap((role) =>
  (Object.keys(ACTIONS) as Action[]).map((action) => [role, action, ALLOWED[role].includes(action) ? 'allowed' : 'FORBIDDEN'] as const),
);

describe('role matrix', () => {
  it.each(CASES)('%s: %s is %s', async (role, action, expected) => {
    const call = await ACTIONS[action]();
    const token = gateway.token(actor(role, [fund.code], `e2e.${role.toLowerCase()}`));
    const before = await footprint();
    const response = await call(token);
    if (expected === 'allowed') {
      expect(codes(response)).toEqual([]);
      expect(response.data).toBeTruthy();
      // A write that is allowed shows in the journal or the packs; a read changes nothing.
      if (action === 'read book') expect(await footprint()).toEqual(before);
      else expect(await footprint()).not.toEqual(before);
    } else {
      expect(codes(response)).toEqual(['FORBIDDEN']);
      expect(response.data).toBeNull();
      expect(await footprint()).toEqual(before);
    }
  });
});

describe('entitlements', () => {
  const otherCode = () => `E2E_OTHER_${uid()}`;

  it('refuses the book of a fund the viewer is not entitled to with FORBIDDEN, and portfolios leaves it out', async () => {
    const token = gateway.token(actor('VIEWER', [otherCode()], 'e2e.outsider'));
    const book = await gateway.execute(BookDocument, { portfolioId: fund.code }, token);
    expect(codes(book)).toEqual(['FORBIDDEN']);
    const byId = await gateway.execute(BookDocument, { portfolioId: fund.id }, token);
    expect(codes(byId)).toEqual(['FORBIDDEN']);
    const { portfolios } = dataOf(await gateway.execute(PortfoliosDocument, {}, token));
    expect(portfolios.map((p) => p.code)).not.toContain(fund.code);
    expect(portfolios).toEqual([]);
  });

  it('answers FORBIDDEN for a fund that does not exist, exactly as for one not entitled', async () => {
    const token = gateway.token(actor('VIEWER', [fund.code], 'e2e.viewer'));
    const missing = await gateway.execute(BookDocument, { portfolioId: otherCode() }, token);
    expect(codes(missing)).toEqual(['FORBIDDEN']);
  });

  it('answers position(id) of a fund the caller is not entitled to with null, as an unknown id', async () => {
    const { positions } = dataOf(await gateway.execute(PositionsDocument, { portfolioId: fund.code }, adminToken));
    const token = gateway.token(actor('VIEWER', [otherCode()], 'e2e.outsider'));
    const response = await gateway.execute(PositionDocument, { id: positions[0]!.id }, token);
    expect(codes(response)).toEqual([]);
    expect(response.data?.position ?? null).toBeNull();
  });

  it('refuses a write to a position of a fund outside a manager\'s entitlements with NOT_FOUND, as an unknown id, writing nothing', async () => {
    const positionId = await openAsAdmin();
    const token = gateway.token(actor('MANAGER', [otherCode()], 'e2e.other-manager'));
    const before = await footprint();
    const response = await gateway.execute(ClosePositionDocument, { input: { positionId, closePrice: '131000' } }, token);
    expect(codes(response)).toEqual(['NOT_FOUND']);
    expect(response.errors?.[0]?.message).toBe(`Position ${positionId} not found`);
    expect(await footprint()).toEqual(before);
  });

  it('lets an actor entitled to every fund (*) see this one', async () => {
    const { portfolios } = dataOf(await gateway.execute(PortfoliosDocument, {}, gateway.token(actor('VIEWER', '*', 'e2e.all'))));
    expect(portfolios.map((p) => p.code)).toContain(fund.code);
  });
});
