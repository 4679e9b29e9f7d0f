import { BookDocument, PositionsDocument } from '../client/generated/graphql';
import { dec } from '../src/domain/decimal';
import type { Portfolio } from '../src/domain/types';
import { openPosition } from '../src/services/positions.service';
import { dataOf } from './e2e/harness';
import { fixedClock } from './support/clock';
import { testDb } from './support/db';
import { actor, createInstrument, createPortfolio, recordingDeps } from './support/factories';
import { startTestGateway, type TestGateway } from './support/gateway';

const db = testDb();
const clock = fixedClock('2026-11-20T15:00:00Z');
const admin = actor('ADMIN');
let gw: TestGateway;
let statements = 0;

/** A fund with `n` open positions, each in an instrument of its own. */
async function fundWith(n: number): Promise<Portfolio> {
  const fund = await createPortfolio(db);
  const deps = recordingDeps(db, clock);
  for (let i = 0; i < n; i++) {
    const instrument = await createInstrument(db, 'UST', 'SOVEREIGN');
    await openPosition(deps, admin, {
      portfolioId: fund.id, ticker: instrument.ticker, direction: i % 2 ? 'LONG' : 'SHORT', notionalBrl: dec(1_000_000),
      entryPrice: dec(100), entryFxRate: dec(5), entryDate: '2026-11-16', thesis: 'Loader test',
    });
  }
  return fund;
}

beforeAll(async () => {
  // The cache is off: every request computes, so the statements counted are the resolvers'.
  gw = await startTestGateway(db, clock, { env: { CACHE_ENABLED: 'false' } });
  db.on('query', () => {
    statements += 1;
  });
});
afterAll(async () => {
  await gw.stop();
  await db.destroy();
});

async function countStatements(run: () => Promise<unknown>): Promise<number> {
  const before = statements;
  await run();
  return statements - before;
}

describe('per-request DataLoaders', () => {
  it('run the same number of SQL statements for a book of 3 positions and of 30, instruments included', async () => {
    const small = await fundWith(3);
    const large = await fundWith(30);
    const token = gw.token(admin);
    const book = (fund: Portfolio) => async () => {
      const data = dataOf(await gw.execute(BookDocument, { portfolioId: fund.id }, token));
      expect(data.book.positions.every((p) => p.instrument.ticker.startsWith('UST_'))).toBe(true);
      return data.book.positions.length;
    };
    const smallCount = await countStatements(book(small));
    const largeCount = await countStatements(book(large));
    expect(largeCount).toBe(smallCount);
    expect(smallCount).toBeLessThanOrEqual(8);
  });

  it('batch the instruments of a positions list into one query', async () => {
    const fund = await fundWith(12);
    const token = gw.token(admin);
    const withInstruments = await countStatements(async () =>
      dataOf(await gw.execute(PositionsDocument, { portfolioId: fund.id }, token)),
    );
    // portfolio lookup (entitlement) + positions + one batched instrument query
    expect(withInstruments).toBe(3);
  });
});
