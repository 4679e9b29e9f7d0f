import { Redis } from 'ioredis';
import {
  AttributionDocument, BookDocument, ClosePositionDocument, GenerateMorningPackDocument, GenerateProposalsDocument,
  MarkToMarketDocument, MorningPackDocument, OpenPositionDocument, RecordOutcomeDocument, RejectProposalDocument,
  RiskLiveDocument, ApproveProposalDocument, ModifyAndApproveProposalDocument,
} from '../../client/generated/graphql';
import { findInstrumentByTicker } from '../../src/data/instrument.repository';
import { findPortfolioByRef } from '../../src/data/portfolio.repository';
import { baseKey } from '../../src/resolver-cache/cache-key';
import type { FieldReport } from '../../src/resolver-cache/outcome';
import { RedisStore } from '../../src/resolver-cache/store/redis-store';
import { ResilientStore } from '../../src/resolver-cache/store/resilient-store';
import { MUTATION_FACTS, TYPE_FACTS, WRITE_THROUGH, type CachedTypeName } from '../../src/graphql/cache-policy';
import type { WriteOperation } from '../../src/services/deps';
import { dataOf, seedFund, type SeededFund } from '../e2e/harness';
import { fixedClock } from '../support/clock';
import { testDb } from '../support/db';
import { fieldLevel } from '../support/documents';
import { DEMO_AS_OF, DEMO_NOW } from '../support/demo';
import { actor, createPendingProposal } from '../support/factories';
import { startTestGateway, type GraphQLResponse, type TestGateway } from '../support/gateway';

/**
 * The cache inside the gateway, against the real Redis of the machine (logical DB 12, keys under
 * random portfolio ids, so nothing is flushed and suites do not collide).
 */
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/12';

const db = testDb();
const clock = fixedClock(DEMO_NOW);
const admin = actor('ADMIN');
let redis: Redis;
let store: ResilientStore;
let gw: TestGateway;
let token: string;

beforeAll(async () => {
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  store = new ResilientStore(new RedisStore(redis), { timeoutMs: 500 });
  gw = await startTestGateway(db, clock, { cacheStore: store });
  token = gw.token(admin);
});
afterAll(async () => {
  await gw.stop(); // closes the store and its client
  await db.destroy();
});

function cacheReports(response: GraphQLResponse<unknown>): FieldReport[] {
  return (response.extensions?.cache ?? []) as FieldReport[];
}

function statusOf(response: GraphQLResponse<unknown>): string | undefined {
  return cacheReports(response)[0]?.status;
}

const computations = (typeName: string) => gw.gateway.cacheCounters.byType.get(typeName)?.computations ?? 0;

/** One read per cached type, current data. */
const READS: Record<CachedTypeName, (fund: SeededFund) => Promise<GraphQLResponse<unknown>>> = {
  Book: (f) => gw.execute(BookDocument, { portfolioId: f.code }, token),
  RiskLive: (f) => gw.execute(RiskLiveDocument, { portfolioId: f.code }, token),
  Attribution: (f) => gw.execute(AttributionDocument, { portfolioId: f.code, period: 'MTD' }, token),
  MorningPack: (f) => gw.execute(MorningPackDocument, { portfolioId: f.code }, token),
};

describe('the resolver cache in the gateway, on Redis', () => {
  let fund: SeededFund;
  beforeAll(async () => {
    fund = await seedFund(db, 'CACHE');
  });

  it('serves the second book read from the cache with the same data, and says so in extensions.cache', async () => {
    const first = await READS.Book(fund);
    const second = await READS.Book(fund);
    expect(cacheReports(first)).toEqual([
      { path: 'book', coordinate: 'Query.book', typeName: 'Book', status: 'miss', ageSeconds: 0, ttlSeconds: 30 },
    ]);
    expect(statusOf(second)).toBe('hit');
    expect(dataOf(second)).toEqual(dataOf(first));
  });

  it('a field hit answers exactly what its miss answered, for every cached type', async () => {
    // A miss returns the computed objects and a hit their JSON round trip: the responses must agree.
    const own = await seedFund(db, 'SHAPE');
    const reads: [string, (portfolioId: string) => Promise<GraphQLResponse<unknown>>][] = [
      ['Book', (p) => gw.execute(fieldLevel(BookDocument), { portfolioId: p }, token)],
      ['RiskLive', (p) => gw.execute(fieldLevel(RiskLiveDocument), { portfolioId: p }, token)],
      ['Attribution', (p) => gw.execute(fieldLevel(AttributionDocument), { portfolioId: p, period: 'MTD' }, token)],
      ['MorningPack', (p) => gw.execute(fieldLevel(MorningPackDocument), { portfolioId: p }, token)],
    ];
    for (const [typeName, read] of reads) {
      const miss = await read(own.code);
      const hit = await read(own.id);
      expect([typeName, statusOf(miss), statusOf(hit)]).toEqual([typeName, 'miss', 'hit']);
      expect(dataOf(hit)).toEqual(dataOf(miss));
    }
  });

  it('stores each type with its TTL (PTTL on Redis): Book 30 s, RiskLive 60 s, Attribution and MorningPack 300 s', async () => {
    const own = await seedFund(db, 'TTL');
    const within = (ms: number | null, seconds: number) => ms !== null && ms > (seconds - 5) * 1000 && ms <= seconds * 1000;
    const entryTtls = async () => {
      const keys: string[] = [];
      // A test may scan; the cache never does.
      for await (const batch of redis.scanStream({ match: `rc:{${own.id}}:v:*`, count: 1000 }) as AsyncIterable<string[]>) keys.push(...batch);
      return Promise.all(keys.map((key) => redis.pttl(key)));
    };

    // Fully cached operations: one entry each, the whole response, under the type's TTL.
    for (const read of Object.values(READS)) await read(own);
    const wholeResponses = (await entryTtls()).sort((a, b) => a - b);
    expect(wholeResponses).toHaveLength(4);
    [30, 60, 300, 300].forEach((seconds, i) => expect(within(wholeResponses[i]!, seconds)).toBe(true));

    // Field level: the entries of the fields themselves, keyed by coordinate and canonical arguments.
    await gw.execute(fieldLevel(BookDocument), { portfolioId: own.code }, token);
    await gw.execute(fieldLevel(RiskLiveDocument), { portfolioId: own.code }, token);
    await gw.execute(fieldLevel(AttributionDocument), { portfolioId: own.code, period: 'MTD' }, token);
    await gw.execute(fieldLevel(MorningPackDocument), { portfolioId: own.code }, token);
    const ttlOf = async (coordinate: string, args: Record<string, unknown>, facts: readonly string[]) => {
      const found = await store.lookup({ tag: own.id, facts: facts.map((f) => `${f}:${own.id}`), baseKey: baseKey(coordinate, args, own.id) });
      if (found.kind === 'unavailable') throw new Error(`store unavailable (${found.reason})`);
      const generations = found.generations;
      return store.ttlMs!({ tag: own.id, baseKey: baseKey(coordinate, args, own.id), generations });
    };
    expect(within(await ttlOf('Query.book', { asOf: DEMO_AS_OF }, TYPE_FACTS.Book), 30)).toBe(true);
    expect(within(await ttlOf('Query.riskLive', { asOf: DEMO_AS_OF }, TYPE_FACTS.RiskLive), 60)).toBe(true);
    expect(within(await ttlOf('Query.attribution', { period: `MTD:2025-11-01:${DEMO_AS_OF}` }, TYPE_FACTS.Attribution), 300)).toBe(true);
    expect(within(await ttlOf('Query.morningPack', { date: 'latest' }, TYPE_FACTS.MorningPack), 300)).toBe(true);
  });

  it('sends a past asOf or date to the database and reports a bypass', async () => {
    const past = await gw.execute(BookDocument, { portfolioId: fund.code, asOf: '2025-11-20' }, token);
    expect(cacheReports(past)[0]).toMatchObject({ status: 'bypass', reason: 'historical' });
    const pastPack = await gw.execute(MorningPackDocument, { portfolioId: fund.code, date: '2025-11-20' }, token);
    expect(statusOf(pastPack)).toBe('bypass');
  });

  it('keys canonically: attribution MTD, MTD with asOf today, and by id or code are one entry', async () => {
    const other = await seedFund(db, 'CANON');
    const before = computations('Attribution');
    const a = await gw.execute(AttributionDocument, { portfolioId: other.code, period: 'MTD' }, token);
    const b = await gw.execute(AttributionDocument, { portfolioId: other.id, period: 'MTD', asOf: DEMO_AS_OF }, token);
    const c = await gw.execute(AttributionDocument, { portfolioId: other.code, period: 'CUSTOM', from: '2025-11-01', to: DEMO_AS_OF }, token);
    expect([statusOf(a), statusOf(b)]).toEqual(['miss', 'hit']);
    expect(statusOf(c)).toBe('miss'); // CUSTOM:2025-11-01:… is another period key, same numbers
    expect(computations('Attribution') - before).toBe(2);
  });

  it('computes a cold book once for 50 concurrent reads (single flight)', async () => {
    const cold = await seedFund(db, 'FLIGHT');
    const before = computations('Book');
    const results = await Promise.all(Array.from({ length: 50 }, () => READS.Book(cold)));
    expect(results.every((r) => r.errors === undefined)).toBe(true);
    expect(computations('Book') - before).toBe(1);
  });

  it('write-through: after closePosition the next book read is a hit, with the position gone', async () => {
    const own = await seedFund(db, 'WT');
    const book = dataOf(await gw.execute(BookDocument, { portfolioId: own.code }, token)).book;
    const victim = book.positions[0]!.id;
    expect(statusOf(await READS.Book(own))).toBe('hit');
    dataOf(await gw.execute(ClosePositionDocument, { input: { positionId: victim, closePrice: '100' } }, token));
    const after = await gw.execute(BookDocument, { portfolioId: own.code }, token);
    expect(statusOf(after)).toBe('hit');
    expect(dataOf(after).book.positions.map((p) => p.id)).not.toContain(victim);
  });

  it('every coordinate the policy re-warms after a write is the very entry the next read of current data hits', async () => {
    // A read per re-warmed coordinate, through the client's document: a coordinate without one fails here.
    const readers: Record<string, (fund: SeededFund) => Promise<GraphQLResponse<unknown>>> = { 'Query.book': READS.Book };
    expect(Object.keys(readers).sort()).toEqual(Object.keys(WRITE_THROUGH).sort());
    const own = await seedFund(db, 'WTALL');
    const victim = dataOf(await gw.execute(BookDocument, { portfolioId: own.code }, token)).book.positions[0]!.id;
    for (const [coordinate, entry] of Object.entries(WRITE_THROUGH)) {
      expect(entry.facts.some((k) => MUTATION_FACTS.closePosition.includes(k))).toBe(true);
      dataOf(await gw.execute(ClosePositionDocument, { input: { positionId: victim, closePrice: '100' } }, token));
      const before = computations('Book') + computations('RiskLive') + computations('Attribution') + computations('MorningPack');
      const read = await readers[coordinate]!(own);
      expect(read.errors).toBeUndefined();
      expect(statusOf(read)).toBe('hit');
      expect(computations('Book') + computations('RiskLive') + computations('Attribution') + computations('MorningPack')).toBe(before);
    }
  });
});

/**
 * Each mutation × each cached type: is the cached value invalidated or kept? The expectation is
 * the policy's own table (MUTATION_FACTS ∩ TYPE_FACTS), and the observation is the cache's
 * behaviour: a kept type reads as a hit with no new computation; an invalidated one is recomputed
 * (Book by the write-through before the mutation returns, the others by the next read).
 */
describe('the cascade', () => {
  const MUTATIONS: Record<WriteOperation, (fund: SeededFund) => Promise<GraphQLResponse<unknown>>> = {
    openPosition: (f) => gw.execute(OpenPositionDocument, { input: { portfolioId: f.code, ticker: 'ES', direction: 'LONG', notionalBrl: '1000000', entryPrice: '6000', entryFxRate: '5', thesis: 'Cascade test' } }, token),
    closePosition: async (f) => {
      const book = dataOf(await gw.execute(BookDocument, { portfolioId: f.code }, token)).book;
      return gw.execute(ClosePositionDocument, { input: { positionId: book.positions[0]!.id, closePrice: '100', fxRate: '5' } }, token);
    },
    markToMarket: (f) => gw.execute(MarkToMarketDocument, { input: { portfolioId: f.code, fxRate: '5' } }, token),
    approveProposal: async (f) => {
      const id = await pendingProposal(f);
      return gw.execute(ApproveProposalDocument, { input: { proposalId: id, executionPrice: '5.1', overridePreTrade: true } }, token);
    },
    modifyAndApproveProposal: async (f) => {
      const id = await pendingProposal(f);
      return gw.execute(ModifyAndApproveProposalDocument, { input: { proposalId: id, executionPrice: '5.1', executionNotionalBrl: '500000', overridePreTrade: true } }, token);
    },
    rejectProposal: async (f) => {
      const id = await pendingProposal(f);
      return gw.execute(RejectProposalDocument, { input: { proposalId: id, notes: 'Not today' } }, token);
    },
    generateProposals: (f) => gw.execute(GenerateProposalsDocument, { input: { portfolioId: f.code, signals: [{ ticker: 'UST2Y', direction: 'LONG', conviction: 0.7, signalSource: 'CASCADE' }] } }, token),
    recordOutcome: async (f) => {
      const book = dataOf(await gw.execute(BookDocument, { portfolioId: f.code }, token)).book;
      return gw.execute(RecordOutcomeDocument, { input: { positionId: book.positions[0]!.id, notes: 'Lesson learned' } }, token);
    },
    generateMorningPack: (f) => gw.execute(GenerateMorningPackDocument, { input: { portfolioId: f.code, force: true } }, token),
  };

  /** A fresh PENDING proposal on the fund, dated today (so it is not expired). */
  async function pendingProposal(f: SeededFund, notional = '1000000'): Promise<string> {
    const portfolio = await findPortfolioByRef(db, f.id);
    const usdbrl = await findInstrumentByTicker(db, 'USDBRL');
    if (!portfolio || !usdbrl) throw new Error('demo data missing');
    return createPendingProposal(db, portfolio, usdbrl, { asOfDate: DEMO_AS_OF, notional });
  }

  const rows = Object.keys(MUTATIONS) as WriteOperation[];
  it.each(rows)('%s invalidates exactly the cached types whose facts it changes', async (operation) => {
    const fund = await seedFund(db, 'CASC');
    const types = Object.keys(READS) as CachedTypeName[];
    for (const t of types) await READS[t](fund);
    const before = Object.fromEntries(types.map((t) => [t, computations(t)]));
    dataOf(await MUTATIONS[operation](fund));
    const observed: Record<string, string> = {};
    for (const t of types) {
      const status = statusOf(await READS[t](fund));
      const recomputed = computations(t) > before[t]!;
      observed[t] = recomputed ? 'invalidated' : status === 'hit' ? 'kept' : `unexpected ${status}`;
    }
    const expected = Object.fromEntries(
      types.map((t) => [t, TYPE_FACTS[t].some((f) => MUTATION_FACTS[operation].includes(f)) ? 'invalidated' : 'kept']),
    );
    expect(observed).toEqual(expected);
  });
});
