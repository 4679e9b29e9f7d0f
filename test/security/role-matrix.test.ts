import { randomUUID } from 'node:crypto';
import {
  ApproveProposalDocument, AttributionDocument, BookDocument, ClosePositionDocument, EquityCurveDocument,
  GenerateMorningPackDocument, GenerateProposalsDocument, JournalDocument, JournalEntryDocument, JournalIntegrityDocument,
  MarkToMarketDocument, ModifyAndApproveProposalDocument, MorningPackDocument, MorningPackHistoryDocument,
  OpenPositionDocument, PortfoliosDocument, PositionDocument, PositionsDocument, RecordOutcomeDocument, RejectProposalDocument,
  RiskLiveDocument, RiskTrendDocument, TradeProposalDocument, TradeProposalsDocument,
} from '../../client/generated/graphql';
import { findInstrumentByTicker } from '../../src/data/instrument.repository';
import { findPortfolioByRef } from '../../src/data/portfolio.repository';
import type { Portfolio, Role } from '../../src/domain/types';
import type { FieldReport } from '../../src/resolver-cache/outcome';
import { dataOf, seedFund, type SeededFund } from '../e2e/harness';
import { fixedClock } from '../support/clock';
import { testDb } from '../support/db';
import { DEMO_AS_OF, DEMO_NOW } from '../support/demo';
import { actor, countRows, createPendingProposal, uid } from '../support/factories';
import { codes, startTestGateway, type GraphQLResponse, type TestGateway } from '../support/gateway';

/**
 * The role matrix of issue 13: every query and every mutation of the schema × the four roles ×
 * entitled / not entitled to the target fund, against one in-process gateway whose operation cache
 * is hot (each cached query read once by an entitled ADMIN first, so reads in the matrix take the
 * cached hit path). The expected outcome of each cell comes from ACCESS below, which states per
 * operation which roles may call it: the README's role table ("Authentication and roles") as
 * src/services/access.ts implements it (reads: every role; TRADE: MANAGER, ADMIN; MARK and
 * BRIEFING: MANAGER, RISK_OFFICER, ADMIN; OVERRIDE_PRE_TRADE: ADMIN).
 *
 * The caller that is not entitled holds a token for a fund of its own (fund B), so it is refused by
 * its entitlements only: a portfolio-scoped call answers FORBIDDEN, another fund's object answers
 * exactly like an unknown id (null for a read, NOT_FOUND for a write), and no answer names an
 * internal id the caller did not send. A refused write leaves the row counts of both funds as they
 * were.
 */

const db = testDb();
let gateway: TestGateway;
let fundA: SeededFund;
let fundB: SeededFund;
let portfolioA: Portfolio;
let adminToken: string;

const ROLES: readonly Role[] = ['VIEWER', 'MANAGER', 'RISK_OFFICER', 'ADMIN'];
const EVERY_ROLE = ROLES;
/** access.ts: TRADE (open, close, approve, modify, reject, generate proposals, record an outcome). */
const TRADE: readonly Role[] = ['MANAGER', 'ADMIN'];
/** access.ts: MARK (mark to market) and BRIEFING (morning pack). */
const MARK: readonly Role[] = ['MANAGER', 'RISK_OFFICER', 'ADMIN'];
const BRIEFING: readonly Role[] = ['MANAGER', 'RISK_OFFICER', 'ADMIN'];
/** access.ts: OVERRIDE_PRE_TRADE. */
const OVERRIDE: readonly Role[] = ['ADMIN'];

type Kind = 'query' | 'mutation';
/**
 * portfolio: addressed by portfolio id or code (not entitled: FORBIDDEN, as an unknown fund);
 * object: addressed by the id of a position, proposal or journal entry (not entitled: as an unknown id);
 * caller: the caller's own entitlements (portfolios).
 */
type Scope = 'portfolio' | 'object' | 'caller';
type Call = (ref: string, token: string) => Promise<GraphQLResponse<unknown>>;

interface Row {
  /** The root field of the schema this row calls. */
  readonly field: string;
  /** A variant of the field (another argument that needs another permission). */
  readonly variant?: string;
  readonly kind: Kind;
  /** The roles that may make this call (the expected outcome of every cell derives from it). */
  readonly roles: readonly Role[];
  /** The roles that pass the checks made before the entitlement (defaults to `roles`). */
  readonly beforeEntitlement?: readonly Role[];
  readonly scope: Scope;
  /** Served by the operation cache on a hit (warmed before the matrix). */
  readonly cached?: boolean;
  /** The ref of fund A's target; `fresh` for a call that will succeed and consume it. */
  readonly target: (fresh: boolean) => Promise<string>;
  /** An id or code nobody has: another fund's object must answer exactly like it. */
  readonly unknown: () => string;
  readonly call: Call;
}

// Targets in fund A. A refused call leaves a target as it was, so refused cells share one.
const standing = new Map<string, Promise<string>>();
function once(key: string, make: () => Promise<string>): Promise<string> {
  if (!standing.has(key)) standing.set(key, make());
  return standing.get(key)!;
}

const fundCode = () => Promise.resolve(fundA.code);
const unknownFund = () => `MATRIX_UNKNOWN_${uid()}`;

async function openAsAdmin(): Promise<string> {
  const { openPosition } = dataOf(await gateway.execute(OpenPositionDocument, {
    input: {
      portfolioId: fundA.code, ticker: 'IBOV_FUT', direction: 'LONG', notionalBrl: '100000', entryPrice: '130000',
      entryFxRate: '5', thesis: 'A target for the role matrix',
    },
  }, adminToken));
  return openPosition.id;
}

async function pendingProposal(): Promise<string> {
  const instrument = (await findInstrumentByTicker(db, 'UST2Y'))!;
  return createPendingProposal(db, portfolioA, instrument, { notional: '1000000', asOfDate: DEMO_AS_OF });
}

async function seededOpenPosition(): Promise<string> {
  const row = await db('positions').where({ portfolio_id: fundA.id, is_open: true }).orderBy('id').first<{ id: string }>();
  return row.id;
}

async function seededJournalEntry(): Promise<string> {
  const row = await db('journal_entries').where({ portfolio_id: fundA.id }).orderBy('id').first<{ id: string | number }>();
  return String(row.id);
}

const openPositionTarget = (fresh: boolean) => (fresh ? openAsAdmin() : once('open position', openAsAdmin));
const pendingTarget = (fresh: boolean) => (fresh ? pendingProposal() : once('pending proposal', pendingProposal));

const ACCESS: readonly Row[] = [
  // Queries: every role reads what its entitlements cover.
  {
    field: 'attribution', kind: 'query', roles: EVERY_ROLE, scope: 'portfolio', cached: true, target: fundCode, unknown: unknownFund,
    call: (ref, t) => gateway.execute(AttributionDocument, { portfolioId: ref, period: 'MTD' }, t),
  },
  {
    field: 'book', kind: 'query', roles: EVERY_ROLE, scope: 'portfolio', cached: true, target: fundCode, unknown: unknownFund,
    call: (ref, t) => gateway.execute(BookDocument, { portfolioId: ref }, t),
  },
  {
    field: 'equityCurve', kind: 'query', roles: EVERY_ROLE, scope: 'portfolio', target: fundCode, unknown: unknownFund,
    call: (ref, t) => gateway.execute(EquityCurveDocument, { portfolioId: ref }, t),
  },
  {
    field: 'journal', kind: 'query', roles: EVERY_ROLE, scope: 'portfolio', target: fundCode, unknown: unknownFund,
    call: (ref, t) => gateway.execute(JournalDocument, { portfolioId: ref, first: 5 }, t),
  },
  {
    field: 'journalEntry', kind: 'query', roles: EVERY_ROLE, scope: 'object',
    target: () => once('journal entry', seededJournalEntry), unknown: () => '999999999999999',
    call: (ref, t) => gateway.execute(JournalEntryDocument, { id: ref }, t),
  },
  {
    field: 'journalIntegrity', kind: 'query', roles: EVERY_ROLE, scope: 'portfolio', target: fundCode, unknown: unknownFund,
    call: (ref, t) => gateway.execute(JournalIntegrityDocument, { portfolioId: ref }, t),
  },
  {
    field: 'morningPack', kind: 'query', roles: EVERY_ROLE, scope: 'portfolio', cached: true, target: fundCode, unknown: unknownFund,
    call: (ref, t) => gateway.execute(MorningPackDocument, { portfolioId: ref }, t),
  },
  {
    field: 'morningPackHistory', kind: 'query', roles: EVERY_ROLE, scope: 'portfolio', cached: true, target: fundCode, unknown: unknownFund,
    call: (ref, t) => gateway.execute(MorningPackHistoryDocument, { portfolioId: ref }, t),
  },
  {
    field: 'portfolios', kind: 'query', roles: EVERY_ROLE, scope: 'caller', target: fundCode, unknown: unknownFund,
    call: (_ref, t) => gateway.execute(PortfoliosDocument, {}, t),
  },
  {
    field: 'position', kind: 'query', roles: EVERY_ROLE, scope: 'object',
    target: () => once('seeded position', seededOpenPosition), unknown: randomUUID,
    call: (ref, t) => gateway.execute(PositionDocument, { id: ref }, t),
  },
  {
    field: 'positions', kind: 'query', roles: EVERY_ROLE, scope: 'portfolio', target: fundCode, unknown: unknownFund,
    call: (ref, t) => gateway.execute(PositionsDocument, { portfolioId: ref }, t),
  },
  {
    field: 'riskLive', kind: 'query', roles: EVERY_ROLE, scope: 'portfolio', cached: true, target: fundCode, unknown: unknownFund,
    call: (ref, t) => gateway.execute(RiskLiveDocument, { portfolioId: ref }, t),
  },
  {
    field: 'riskTrend', kind: 'query', roles: EVERY_ROLE, scope: 'portfolio', target: fundCode, unknown: unknownFund,
    call: (ref, t) => gateway.execute(RiskTrendDocument, { portfolioId: ref }, t),
  },
  {
    field: 'tradeProposal', kind: 'query', roles: EVERY_ROLE, scope: 'object', target: () => pendingTarget(false), unknown: randomUUID,
    call: (ref, t) => gateway.execute(TradeProposalDocument, { id: ref }, t),
  },
  {
    field: 'tradeProposals', kind: 'query', roles: EVERY_ROLE, scope: 'portfolio', target: fundCode, unknown: unknownFund,
    call: (ref, t) => gateway.execute(TradeProposalsDocument, { portfolioId: ref }, t),
  },

  // Mutations.
  {
    field: 'approveProposal', kind: 'mutation', roles: TRADE, scope: 'object', target: pendingTarget, unknown: randomUUID,
    call: (ref, t) => gateway.execute(ApproveProposalDocument, { input: { proposalId: ref, executionPrice: '100' } }, t),
  },
  {
    field: 'approveProposal', variant: 'overridePreTrade', kind: 'mutation', roles: OVERRIDE, beforeEntitlement: TRADE,
    scope: 'object', target: pendingTarget, unknown: randomUUID,
    call: (ref, t) => gateway.execute(ApproveProposalDocument, { input: { proposalId: ref, executionPrice: '100', overridePreTrade: true } }, t),
  },
  {
    field: 'closePosition', kind: 'mutation', roles: TRADE, scope: 'object', target: openPositionTarget, unknown: randomUUID,
    call: (ref, t) => gateway.execute(ClosePositionDocument, { input: { positionId: ref, closePrice: '131000' } }, t),
  },
  {
    field: 'generateMorningPack', kind: 'mutation', roles: BRIEFING, scope: 'portfolio', target: fundCode, unknown: unknownFund,
    call: (ref, t) => gateway.execute(GenerateMorningPackDocument, { input: { portfolioId: ref, force: true } }, t),
  },
  {
    field: 'generateProposals', kind: 'mutation', roles: TRADE, scope: 'portfolio', target: fundCode, unknown: unknownFund,
    call: (ref, t) => gateway.execute(GenerateProposalsDocument, {
      input: { portfolioId: ref, asOf: DEMO_AS_OF, signals: [{ ticker: 'UST2Y', direction: 'LONG', conviction: 0.7, signalSource: 'MATRIX_MODEL' }] },
    }, t),
  },
  {
    field: 'markToMarket', kind: 'mutation', roles: MARK, scope: 'portfolio', target: fundCode, unknown: unknownFund,
    call: (ref, t) => gateway.execute(MarkToMarketDocument, { input: { portfolioId: ref } }, t),
  },
  {
    field: 'modifyAndApproveProposal', kind: 'mutation', roles: TRADE, scope: 'object', target: pendingTarget, unknown: randomUUID,
    call: (ref, t) => gateway.execute(ModifyAndApproveProposalDocument, {
      input: { proposalId: ref, executionPrice: '100', executionNotionalBrl: '500000' },
    }, t),
  },
  {
    field: 'openPosition', kind: 'mutation', roles: TRADE, scope: 'portfolio', target: fundCode, unknown: unknownFund,
    call: (ref, t) => gateway.execute(OpenPositionDocument, {
      input: {
        portfolioId: ref, ticker: 'ES', direction: 'SHORT', notionalBrl: '100000', entryPrice: '5000',
        entryFxRate: '5', thesis: 'Hedge for the role matrix',
      },
    }, t),
  },
  {
    field: 'recordOutcome', kind: 'mutation', roles: TRADE, scope: 'object', target: () => openPositionTarget(false), unknown: randomUUID,
    call: (ref, t) => gateway.execute(RecordOutcomeDocument, { input: { positionId: ref, notes: 'Lessons of the role matrix' } }, t),
  },
  {
    field: 'rejectProposal', kind: 'mutation', roles: TRADE, scope: 'object', target: pendingTarget, unknown: randomUUID,
    call: (ref, t) => gateway.execute(RejectProposalDocument, { input: { proposalId: ref, notes: 'Not in the plan' } }, t),
  },
];

const ENTITLEMENTS = ['entitled', 'not entitled'] as const;
type Entitlement = (typeof ENTITLEMENTS)[number];
type Expected = 'allowed' | 'FORBIDDEN' | 'NOT_FOUND' | 'null' | 'not listed';

/** The outcome a cell must have, from the row's roles, its scope and the entitlement. */
function expectedOf(row: Row, role: Role, entitlement: Entitlement): Expected {
  if (entitlement === 'not entitled' && (row.beforeEntitlement ?? row.roles).includes(role)) {
    switch (row.scope) {
      case 'portfolio':
        return 'FORBIDDEN';
      case 'object':
        return row.kind === 'query' ? 'null' : 'NOT_FOUND';
      case 'caller':
        return 'not listed';
    }
  }
  if (!row.roles.includes(role)) return 'FORBIDDEN';
  return 'allowed';
}

const nameOf = (row: Row) => (row.variant ? `${row.field}(${row.variant})` : row.field);
const cellsOf = (kind: Kind) =>
  ACCESS.filter((row) => row.kind === kind).flatMap((row) =>
    ROLES.flatMap((role) => ENTITLEMENTS.map((entitlement) => [nameOf(row), role, entitlement, expectedOf(row, role, entitlement), row] as const)),
  );

function tokenFor(role: Role, entitlement: Entitlement): string {
  const portfolios = entitlement === 'entitled' ? [fundA.code] : [fundB.code];
  return gateway.token(actor(role, portfolios, `matrix.${role.toLowerCase()}.${entitlement === 'entitled' ? 'a' : 'b'}`));
}

/** The rows a write could add to either fund. */
async function rowCounts(): Promise<Record<string, number>> {
  const tables = ['positions', 'trade_proposals', 'journal_entries', 'pnl_snapshots'] as const;
  const entries = await Promise.all(
    [fundA, fundB].flatMap((fund, i) => tables.map(async (table) => [`${i === 0 ? 'A' : 'B'}.${table}`, await countRows(db, table, { portfolio_id: fund.id })] as const)),
  );
  return Object.fromEntries(entries);
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** No UUID in `value` but the ones the caller sent. */
function expectNamesOnly(value: unknown, sent: readonly string[]): void {
  const text = JSON.stringify(value ?? null);
  expect((text.match(UUID) ?? []).filter((u) => !sent.includes(u))).toEqual([]);
}

/** The answer as a client sees it, the ref it sent replaced by a placeholder. */
function answerOf(response: GraphQLResponse<unknown>, sent: string): unknown {
  const text = JSON.stringify({ errors: (response.errors ?? []).map((e) => ({ message: e.message, extensions: e.extensions })), data: response.data ?? null });
  return JSON.parse(text.split(sent).join('<ref>')) as unknown;
}

const reports = (response: GraphQLResponse<unknown>) => (response.extensions?.cache ?? []) as FieldReport[];
const rootOf = (response: GraphQLResponse<unknown>, field: string) => (response.data as Record<string, unknown> | null | undefined)?.[field];

/** The cache status of every entitled read of a cached query in the matrix. */
const entitledCachedReads: { field: string; role: Role; statuses: string[] }[] = [];
/** pms_operation_cache_hits_total when the query matrix starts. */
let operationHitsBefore = NaN;

async function metric(name: string): Promise<number> {
  const text = await (await fetch(gateway.url.replace('/graphql', '/metrics'))).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1] ?? NaN);
}

beforeAll(async () => {
  [fundA, fundB] = await Promise.all([seedFund(db, 'SEC_RM_A'), seedFund(db, 'SEC_RM_B')]);
  portfolioA = (await findPortfolioByRef(db, fundA.code))!;
  gateway = await startTestGateway(db, fixedClock(DEMO_NOW));
  adminToken = gateway.token(actor('ADMIN', [fundA.code], 'matrix.setup'));
  // A pack of today, so that morningPack has one to serve (the demo seed stores none).
  dataOf(await gateway.execute(GenerateMorningPackDocument, { input: { portfolioId: fundA.code } }, adminToken));
  // Every target a refused cell uses, made before the cache is warmed (writes invalidate it).
  await Promise.all([openPositionTarget(false), pendingTarget(false), once('seeded position', seededOpenPosition), once('journal entry', seededJournalEntry)]);
  // A hot cache: each cached query read once by an entitled ADMIN.
  for (const row of ACCESS.filter((r) => r.cached)) {
    const warm = await row.call(fundA.code, adminToken);
    expect(codes(warm)).toEqual([]);
    expect(reports(warm).map((r) => r.status)).not.toContain('bypass');
  }
  operationHitsBefore = await metric('pms_operation_cache_hits_total');
}, 60_000);

afterAll(async () => {
  await gateway.stop();
  await db.destroy();
});

describe('the matrix covers the schema', () => {
  it.each(['query', 'mutation'] as const)('has a row for every %s field of the schema, and none for a field it lacks', (kind) => {
    const type = kind === 'query' ? gateway.gateway.schema.getQueryType() : gateway.gateway.schema.getMutationType();
    const fields = Object.keys(type?.getFields() ?? {}).sort();
    expect(fields.length).toBeGreaterThan(0);
    expect([...new Set(ACCESS.filter((r) => r.kind === kind).map((r) => r.field))].sort()).toEqual(fields);
  });
});

async function checkCell(row: Row, role: Role, entitlement: Entitlement, expected: Expected): Promise<void> {
  const ref = await row.target(expected === 'allowed' && row.kind === 'mutation');
  const token = tokenFor(role, entitlement);
  const before = row.kind === 'mutation' ? await rowCounts() : null;
  const response = await row.call(ref, token);
  const sent = row.scope === 'caller' ? [] : [ref];
  // No error names an internal id the caller did not send.
  expectNamesOnly(response.errors, sent);

  switch (expected) {
    case 'allowed': {
      expect(codes(response)).toEqual([]);
      expect(rootOf(response, row.field)).not.toBeNull();
      expect(rootOf(response, row.field)).toBeDefined();
      if (row.scope === 'caller') expect((rootOf(response, row.field) as { code: string }[]).map((p) => p.code)).toEqual([fundA.code]);
      if (row.cached) entitledCachedReads.push({ field: row.field, role, statuses: reports(response).map((r) => r.status) });
      return;
    }
    case 'not listed': {
      expect(codes(response)).toEqual([]);
      const listed = (rootOf(response, row.field) as { code: string }[]).map((p) => p.code);
      expect(listed).not.toContain(fundA.code);
      expect(listed).toEqual([fundB.code]);
      return;
    }
    case 'null':
      expect(codes(response)).toEqual([]);
      expect(rootOf(response, row.field) ?? null).toBeNull();
      break;
    case 'FORBIDDEN':
    case 'NOT_FOUND':
      expect(codes(response)).toEqual([expected]);
      // Nothing of the fund: no data, or null for a nullable root field (morningPack).
      expect(rootOf(response, row.field) ?? null).toBeNull();
      expect(reports(response).map((r) => r.status)).not.toContain('hit');
      expectNamesOnly(response.data, sent);
      if (expected === 'NOT_FOUND') expect(response.errors?.[0]?.message).toMatch(new RegExp(`^\\w+ ${ref} not found$`));
      break;
  }
  // Refused: another fund's object or fund answers exactly like an unknown one.
  if (entitlement === 'not entitled') {
    const unknown = row.unknown();
    const missing = await row.call(unknown, token);
    expect(answerOf(response, ref)).toEqual(answerOf(missing, unknown));
  }
  if (before) expect(await rowCounts()).toEqual(before);
}

// Reads first, against the hot cache; writes after them (a committed write invalidates entries).
describe('queries × roles × entitlement, on a hot operation cache', () => {
  it.each(cellsOf('query'))('%s as %s, %s: %s', async (_name, role, entitlement, expected, row) => {
    await checkCell(row, role, entitlement, expected);
  });

  it('served entitled reads of cached queries from the operation cache (extensions.cache hits)', async () => {
    const cachedRows = ACCESS.filter((r) => r.kind === 'query' && r.cached).length;
    expect(entitledCachedReads).toHaveLength(cachedRows * ROLES.length);
    const hits = entitledCachedReads.filter((r) => r.statuses.length > 0 && r.statuses.every((s) => s === 'hit'));
    expect(hits.length).toBeGreaterThan(0);
    // Those hits were the operation cache's (stored bytes, no execution), not only the resolver cache's.
    expect(await metric('pms_operation_cache_hits_total')).toBeGreaterThanOrEqual(operationHitsBefore + hits.length);
    // Every cached query was a hit for some role.
    expect([...new Set(hits.map((h) => h.field))].sort()).toEqual(ACCESS.filter((r) => r.kind === 'query' && r.cached).map((r) => r.field).sort());
  });
});

describe('mutations × roles × entitlement', () => {
  it.each(cellsOf('mutation'))('%s as %s, %s: %s', async (_name, role, entitlement, expected, row) => {
    await checkCell(row, role, entitlement, expected);
  });
});
