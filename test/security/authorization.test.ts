import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import {
  ApproveProposalDocument, BookDocument, ClosePositionDocument, GenerateProposalsDocument, JournalEntryDocument,
  JournalIntegrityDocument, ModifyAndApproveProposalDocument, OpenPositionDocument, PositionDocument, RecordOutcomeDocument,
  RejectProposalDocument, TradeProposalDocument,
} from '../../client/generated/graphql';
import { findInstrumentByTicker } from '../../src/data/instrument.repository';
import { findPortfolioByRef } from '../../src/data/portfolio.repository';
import type { Portfolio, Role } from '../../src/domain/types';
import { authenticate, signToken, type JwtSettings } from '../../src/server/auth';
import { ConfigError, loadConfig } from '../../src/server/config';
import type { Actor } from '../../src/services/access';
import { dataOf, seedFund, type SeededFund } from '../e2e/harness';
import { fixedClock } from '../support/clock';
import { testDb } from '../support/db';
import { DEMO_AS_OF, DEMO_NOW } from '../support/demo';
import { actor, countRows, createPendingProposal, createPortfolio, uid } from '../support/factories';
import { codes, startTestGateway, type GraphQLResponse, type TestGateway } from '../support/gateway';

/**
 * The authorization holes of issue 13: an idempotent replay authorized like a first call, another
 * fund's objects answering exactly like unknown ones (no existence oracle, no internal id), the
 * token rules of production, and the acting user of generateProposals and of expiry recorded.
 */

const SECRET = 'security-authorization-secret-0123456789';
const JWT: JwtSettings = { secret: SECRET, issuer: 'pms-gateway', audience: 'pms-gateway' };

const db = testDb();
let gateway: TestGateway;
let fundA: SeededFund;
let fundB: SeededFund;
let portfolioA: Portfolio;

beforeAll(async () => {
  [fundA, fundB] = await Promise.all([seedFund(db, 'SEC_AZ_A'), seedFund(db, 'SEC_AZ_B')]);
  portfolioA = (await findPortfolioByRef(db, fundA.code))!;
  // A secret of this suite's own, so that it can sign tokens of any shape (no exp, long-lived).
  gateway = await startTestGateway(db, fixedClock(DEMO_NOW), { env: { JWT_SECRET: SECRET } });
}, 60_000);

afterAll(async () => {
  await gateway.stop();
  await db.destroy();
});

function tokenFor(role: Role, portfolios: readonly string[] | '*', id: string, ttlSeconds = 3600): string {
  return signToken(JWT, actor(role, portfolios, id), ttlSeconds);
}

/** Everything of both funds a write could change, and the idempotency keys of `actorId`. */
async function footprint(actorId?: string): Promise<unknown> {
  const tables = ['positions', 'trade_proposals', 'journal_entries', 'pnl_snapshots', 'morning_packs'] as const;
  const rows = await Promise.all([fundA, fundB].flatMap((f) => tables.map((t) => countRows(db, t, { portfolio_id: f.id }))));
  const states = await db('trade_proposals').whereIn('portfolio_id', [fundA.id, fundB.id]).select('id', 'status', 'version').orderBy('id');
  const keys = actorId ? await countRows(db, 'idempotency_keys', { actor: actorId }) : 0;
  return { rows, states, keys };
}

/** The errors as a client sees them, the id it sent replaced by a placeholder. */
function answerOf(response: GraphQLResponse<unknown>, sentId: string): unknown {
  return {
    codes: codes(response),
    errors: (response.errors ?? []).map((e) => JSON.parse(JSON.stringify({ message: e.message, extensions: e.extensions }).split(sentId).join('<id>')) as unknown),
    data: JSON.parse(JSON.stringify(response.data ?? null).split(sentId).join('<id>')) as unknown,
  };
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** No UUID in the answer but the ones the caller sent. */
function expectNamesOnly(response: GraphQLResponse<unknown>, sent: readonly string[]): void {
  const text = JSON.stringify({ errors: response.errors, data: response.data });
  expect((text.match(UUID) ?? []).filter((u) => !sent.includes(u))).toEqual([]);
}

async function openPositionOf(fund: SeededFund): Promise<string> {
  const row = await db('positions').where({ portfolio_id: fund.id, is_open: true }).orderBy('id').first<{ id: string }>();
  return row.id;
}

async function pendingProposalOf(fund: SeededFund): Promise<string> {
  const portfolio = (await findPortfolioByRef(db, fund.code))!;
  const instrument = (await findInstrumentByTicker(db, 'UST2Y'))!;
  return createPendingProposal(db, portfolio, instrument, { notional: '1000000', asOfDate: DEMO_AS_OF });
}

describe('an idempotent replay is authorized like a first call', () => {
  const openInput = (key?: string) => ({
    portfolioId: fundA.code, ticker: 'IBOV_FUT', direction: 'LONG' as const, notionalBrl: '100000', entryPrice: '130000',
    entryFxRate: '5', thesis: 'Replay authorization check', ...(key ? { idempotencyKey: key } : {}),
  });

  it("refuses a replay of openPosition by the same user with another fund's token exactly as the same call without a key", async () => {
    const sub = `security.replayer.${uid()}`;
    const key = `replay-open-${uid(8)}`;
    const first = dataOf(await gateway.execute(OpenPositionDocument, { input: openInput(key) }, tokenFor('MANAGER', [fundA.code], sub)));
    const before = await footprint(sub);
    const otherFund = tokenFor('MANAGER', [fundB.code], sub);
    const replay = await gateway.execute(OpenPositionDocument, { input: openInput(key) }, otherFund);
    const withoutKey = await gateway.execute(OpenPositionDocument, { input: openInput() }, otherFund);
    expect(codes(replay)).toEqual(['FORBIDDEN']);
    expect(answerOf(replay, first.openPosition.id)).toEqual(answerOf(withoutKey, first.openPosition.id));
    expect(JSON.stringify(replay)).not.toContain(first.openPosition.id);
    expect(await footprint(sub)).toEqual(before);
    // The entitled caller still gets the first result back, and nothing more is written.
    const again = dataOf(await gateway.execute(OpenPositionDocument, { input: openInput(key) }, tokenFor('MANAGER', [fundA.code], sub)));
    expect(again.openPosition.id).toBe(first.openPosition.id);
    expect(await footprint(sub)).toEqual(before);
  });

  it('refuses a replay of closePosition by a token without the fund with NOT_FOUND, as without a key', async () => {
    const sub = `security.replayer.${uid()}`;
    const key = `replay-close-${uid(8)}`;
    const positionId = dataOf(await gateway.execute(OpenPositionDocument, { input: openInput() }, tokenFor('MANAGER', [fundA.code], sub))).openPosition.id;
    dataOf(await gateway.execute(ClosePositionDocument, { input: { positionId, closePrice: '131000', idempotencyKey: key } }, tokenFor('MANAGER', [fundA.code], sub)));
    const before = await footprint(sub);
    const otherFund = tokenFor('MANAGER', [fundB.code], sub);
    const replay = await gateway.execute(ClosePositionDocument, { input: { positionId, closePrice: '131000', idempotencyKey: key } }, otherFund);
    const withoutKey = await gateway.execute(ClosePositionDocument, { input: { positionId, closePrice: '131000' } }, otherFund);
    expect(codes(replay)).toEqual(['NOT_FOUND']);
    expect(replay.errors?.[0]?.message).toBe(`Position ${positionId} not found`);
    expect(answerOf(replay, positionId)).toEqual(answerOf(withoutKey, positionId));
    expectNamesOnly(replay, [positionId]);
    expect(await footprint(sub)).toEqual(before);
  });

  it('refuses a replay of rejectProposal by a token without the fund with NOT_FOUND, as without a key', async () => {
    const sub = `security.replayer.${uid()}`;
    const key = `replay-reject-${uid(8)}`;
    const proposalId = await pendingProposalOf(fundA);
    dataOf(await gateway.execute(RejectProposalDocument, { input: { proposalId, notes: 'Not today', idempotencyKey: key } }, tokenFor('MANAGER', [fundA.code], sub)));
    const before = await footprint(sub);
    const otherFund = tokenFor('MANAGER', [fundB.code], sub);
    const replay = await gateway.execute(RejectProposalDocument, { input: { proposalId, notes: 'Not today', idempotencyKey: key } }, otherFund);
    const withoutKey = await gateway.execute(RejectProposalDocument, { input: { proposalId, notes: 'Not today' } }, otherFund);
    expect(codes(replay)).toEqual(['NOT_FOUND']);
    expect(answerOf(replay, proposalId)).toEqual(answerOf(withoutKey, proposalId));
    expectNamesOnly(replay, [proposalId]);
    expect(await footprint(sub)).toEqual(before);
  });
});

describe("another fund's object answers exactly like an unknown id, naming nothing the caller did not send", () => {
  /** A caller entitled to fund B only, with every permission: only the entitlement can refuse it. */
  const outsider = () => tokenFor('ADMIN', [fundB.code], 'security.outsider');

  type Call = (id: string, token: string) => Promise<GraphQLResponse<unknown>>;
  const CASES: readonly (readonly [string, () => Promise<string>, () => string, Call])[] = [
    ['position(id)', () => openPositionOf(fundA), randomUUID, (id, t) => gateway.execute(PositionDocument, { id }, t)],
    ['tradeProposal(id)', () => pendingProposalOf(fundA), randomUUID, (id, t) => gateway.execute(TradeProposalDocument, { id }, t)],
    [
      'journalEntry(id)',
      async () => (await db('journal_entries').where({ portfolio_id: fundA.id }).orderBy('id').first<{ id: string }>()).id,
      () => '999999999999999',
      (id, t) => gateway.execute(JournalEntryDocument, { id }, t),
    ],
    ['closePosition', () => openPositionOf(fundA), randomUUID, (id, t) => gateway.execute(ClosePositionDocument, { input: { positionId: id, closePrice: '100' } }, t)],
    ['recordOutcome', () => openPositionOf(fundA), randomUUID, (id, t) => gateway.execute(RecordOutcomeDocument, { input: { positionId: id, notes: 'Lessons learned' } }, t)],
    ['approveProposal', () => pendingProposalOf(fundA), randomUUID, (id, t) => gateway.execute(ApproveProposalDocument, { input: { proposalId: id, executionPrice: '100' } }, t)],
    [
      'modifyAndApproveProposal',
      () => pendingProposalOf(fundA),
      randomUUID,
      (id, t) => gateway.execute(ModifyAndApproveProposalDocument, { input: { proposalId: id, executionPrice: '100', executionNotionalBrl: '500000' } }, t),
    ],
    ['rejectProposal', () => pendingProposalOf(fundA), randomUUID, (id, t) => gateway.execute(RejectProposalDocument, { input: { proposalId: id, notes: 'Not in the plan' } }, t)],
    ['book(portfolioId) by code', () => Promise.resolve(fundA.code), () => `SEC_UNKNOWN_${uid()}`, (id, t) => gateway.execute(BookDocument, { portfolioId: id }, t)],
  ];

  it.each(CASES)('%s', async (_, othersId, unknownId, call) => {
    const theirs = await othersId();
    const unknown = unknownId();
    const before = await footprint();
    const other = await call(theirs, outsider());
    const missing = await call(unknown, outsider());
    expect(answerOf(other, theirs)).toEqual(answerOf(missing, unknown));
    expectNamesOnly(other, [theirs]);
    expect(await footprint()).toEqual(before);
  });

  it('answers reads of another fund null and writes NOT_FOUND with the id sent, as for unknown ids', async () => {
    const positionId = await openPositionOf(fundA);
    const read = await gateway.execute(PositionDocument, { id: positionId }, outsider());
    expect(codes(read)).toEqual([]);
    expect(read.data?.position).toBeNull();
    const write = await gateway.execute(RecordOutcomeDocument, { input: { positionId, notes: 'Lessons learned' } }, outsider());
    expect(write.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['NOT_FOUND', `Position ${positionId} not found`]]);
  });
});

describe('tokens', () => {
  const now = Date.parse(DEMO_NOW);
  const sign = (claims: object, options: jwt.SignOptions) =>
    jwt.sign({ role: 'VIEWER', portfolios: ['F1'], ...claims }, SECRET, { algorithm: 'HS256', subject: 'u1', issuer: 'pms-gateway', audience: 'pms-gateway', ...options });

  it('refuses a token without exp, and one living longer than the maximum (12 h by default)', () => {
    const iat = Math.floor(now / 1000);
    expect(authenticate(`Bearer ${sign({ iat }, {})}`, JWT, now)).toEqual({ kind: 'invalid', reason: 'Token must carry an expiry (exp)' });
    expect(authenticate(`Bearer ${sign({ iat }, { expiresIn: 12 * 3600 + 1 })}`, JWT, now))
      .toEqual({ kind: 'invalid', reason: 'Token lifetime exceeds the maximum of 43200 seconds' });
    expect(authenticate(`Bearer ${sign({ iat }, { expiresIn: 12 * 3600 })}`, JWT, now)).toMatchObject({ kind: 'authenticated' });
    // A configured maximum; and an iat in the future does not stretch the life left from now.
    expect(authenticate(`Bearer ${sign({ iat }, { expiresIn: 7200 })}`, { ...JWT, maxTtlSeconds: 3600 }, now)).toMatchObject({ kind: 'invalid' });
    expect(authenticate(`Bearer ${sign({ iat: iat + 20 * 3600 }, { expiresIn: 3600 })}`, JWT, now))
      .toEqual({ kind: 'invalid', reason: 'Token lifetime exceeds the maximum of 43200 seconds' });
  });

  it('answers UNAUTHENTICATED over HTTP to a token without exp and to a long-lived one, reading nothing', async () => {
    const claims = { role: 'ADMIN', portfolios: '*' };
    const options = { algorithm: 'HS256' as const, subject: 'security.forever', issuer: 'pms-gateway', audience: 'pms-gateway' };
    const forever = jwt.sign(claims, SECRET, options);
    const yearLong = jwt.sign(claims, SECRET, { ...options, expiresIn: '365d' });
    for (const [token, reason] of [[forever, 'Token must carry an expiry (exp)'], [yearLong, 'Token lifetime exceeds the maximum of 43200 seconds']] as const) {
      const response = await gateway.execute(BookDocument, { portfolioId: fundA.code }, token);
      expect(response.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['UNAUTHENTICATED', reason]]);
      expect(response.data ?? null).toBeNull();
    }
    const viewer: Actor = actor('VIEWER', [fundA.code], 'security.token');
    expect(codes(await gateway.execute(BookDocument, { portfolioId: fundA.code }, signToken(JWT, viewer, 3600)))).toEqual([]);
  });

  it('refuses to start in production with the development secret or without a secret, and reads JWT_MAX_TTL_SECONDS', () => {
    const devSecret = loadConfig({ NODE_ENV: 'development' }).jwt.secret;
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: devSecret })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: devSecret })).toThrow(/JWT_SECRET: JWT_SECRET must not be the development secret in production/);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET is required in production/);
    const production = loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET, JOURNAL_KEY: 'test-journal-key-test-journal-key-0123' });
    expect(production.jwt).toMatchObject({ usingDevSecret: false, maxTtlSeconds: 43_200 });
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET, JOURNAL_KEY: 'test-journal-key-test-journal-key-0123', JWT_MAX_TTL_SECONDS: '3600' }).jwt.maxTtlSeconds).toBe(3600);
    expect(() => loadConfig({ JWT_MAX_TTL_SECONDS: '10' })).toThrow(/JWT_MAX_TTL_SECONDS/);
  });
});

describe('generateProposals and the expiry of stale proposals record their acting user', () => {
  it('names the caller on each generated proposal (createdBy) and in a journal entry per proposal', async () => {
    const fund = await createPortfolio(db, { inceptionDate: '2025-01-02' });
    const caller = `security.generator.${uid()}`;
    const { generateProposals } = dataOf(await gateway.execute(GenerateProposalsDocument, {
      input: { portfolioId: fund.code, asOf: DEMO_AS_OF, signals: [{ ticker: 'UST2Y', direction: 'LONG', conviction: 0.7, signalSource: 'SECURITY_MODEL' }] },
    }, tokenFor('MANAGER', [fund.code], caller)));
    const [created] = generateProposals.created;
    expect(created?.createdBy).toBe(caller);
    expect(await db('trade_proposals').where({ id: created!.id }).first()).toMatchObject({ created_by: caller });
    const entries = await db('journal_entries').where({ proposal_id: created!.id }).select('type', 'actor', 'system_notes');
    expect(entries).toEqual([{ type: 'SYSTEM_EVENT', actor: caller, system_notes: `Proposed: ${created!.rationale}` }]);
    const { journalIntegrity } = dataOf(await gateway.execute(JournalIntegrityDocument, { portfolioId: fund.code }, tokenFor('VIEWER', [fund.code], 'security.auditor')));
    expect(journalIntegrity.valid).toBe(true);
  });

  it('journals each proposal it expires under the caller who expired it', async () => {
    const fund = await createPortfolio(db, { inceptionDate: '2025-01-02' });
    const instrument = (await findInstrumentByTicker(db, 'UST2Y'))!;
    const stale = await createPendingProposal(db, fund, instrument, { asOfDate: '2025-11-27' });
    const caller = `security.expirer.${uid()}`;
    dataOf(await gateway.execute(GenerateProposalsDocument, {
      input: { portfolioId: fund.code, asOf: DEMO_AS_OF, signals: [] },
    }, tokenFor('MANAGER', [fund.code], caller)));
    expect(await db('trade_proposals').where({ id: stale }).first()).toMatchObject({ status: 'EXPIRED' });
    const entries = await db('journal_entries').where({ proposal_id: stale }).select('type', 'actor', 'system_notes');
    expect(entries).toEqual([{ type: 'SYSTEM_EVENT', actor: caller, system_notes: 'Expired: still PENDING after its business day 2025-11-27' }]);
  });

  it('names the manager who opened a discretionary position as the creator of its proposal', async () => {
    const caller = `security.opener.${uid()}`;
    const { openPosition } = dataOf(await gateway.execute(OpenPositionDocument, {
      input: {
        portfolioId: portfolioA.code, ticker: 'IBOV_FUT', direction: 'LONG', notionalBrl: '100000', entryPrice: '130000',
        entryFxRate: '5', thesis: 'Creator check',
      },
    }, tokenFor('MANAGER', [portfolioA.code], caller)));
    const position = await db('positions').where({ id: openPosition.id }).first<{ proposal_id: string }>();
    expect(await db('trade_proposals').where({ id: position.proposal_id }).first()).toMatchObject({ created_by: caller, reviewed_by: caller });
  });
});
