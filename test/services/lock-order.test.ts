import { performance } from 'node:perf_hooks';
import type { Knex } from 'knex';
import { dec } from '../../src/domain/decimal';
import type { Instrument, Portfolio } from '../../src/domain/types';
import { verifyJournalChain } from '../../src/data/journal.repository';
import { markToMarket } from '../../src/services/mark-to-market.service';
import { closePosition, openPosition } from '../../src/services/positions.service';
import { fixedClock } from '../support/clock';
import { testDb } from '../support/db';
import { actor, countRows, createInstrument, createPortfolio, recordingDeps } from '../support/factories';

/**
 * Invariant 7 (ARCHITECTURE.md): every write locks the portfolio row, then positions, then
 * proposals. closePosition used to lock its position before the portfolio while markToMarket locks
 * the portfolio before its open positions: run together on one portfolio they deadlocked (40P01)
 * in most rounds. The test counts the transactions too, so a deadlock that a retry of the write
 * papered over still fails it. Postgres settles a deadlock after deadlock_timeout (1 s by
 * default), hence the generous timeout for the failing case.
 */
const ROUNDS = 20;

const db = testDb();
const clock = fixedClock('2026-11-20T15:00:00Z'); // Friday 2026-11-20 in São Paulo
const manager = actor('MANAGER');
let portfolio: Portfolio;
let ibov: Instrument;

beforeAll(async () => {
  portfolio = await createPortfolio(db);
  ibov = await createInstrument(db, 'IBOV_FUT', 'EQUITY');
});
afterAll(() => db.destroy());

interface Span {
  start: number;
  end: number;
}

const overlap = (a: Span, b: Span): boolean => a.start < b.end && b.start < a.end;

/**
 * The span of each transaction on `db`, from knex's events: from its first statement sent to its
 * last answer received. BEGIN and COMMIT emit no events, so each span lies inside its transaction:
 * two overlapping spans mean both transactions were open in Postgres at the same time.
 */
function traceTransactions(knex: Knex): { readonly spans: Map<string, Span>; stop(): void } {
  const spans = new Map<string, Span>();
  const onQuery = (q: { __knexTxId?: string }): void => {
    if (q.__knexTxId && !spans.has(q.__knexTxId)) {
      const now = performance.now();
      spans.set(q.__knexTxId, { start: now, end: now });
    }
  };
  const onResponse = (_response: unknown, q: { __knexTxId?: string }): void => {
    const span = q.__knexTxId ? spans.get(q.__knexTxId) : undefined;
    if (span) span.end = performance.now();
  };
  knex.on('query', onQuery);
  knex.on('query-response', onResponse);
  return {
    spans,
    stop: () => {
      knex.off('query', onQuery);
      knex.off('query-response', onResponse);
    },
  };
}

async function timed<T>(call: () => Promise<T>): Promise<{ span: Span; outcome: PromiseSettledResult<T> }> {
  const start = performance.now();
  const [outcome] = await Promise.allSettled([call()]);
  return { span: { start, end: performance.now() }, outcome };
}

function describeFailure(round: number, operation: string, outcome: PromiseSettledResult<unknown>): string[] {
  if (outcome.status === 'fulfilled') return [];
  const error = outcome.reason as { code?: unknown; message?: unknown };
  // A driver error's message is "<sql> - <reason>": the reason is enough.
  return [`round ${round}: ${operation} failed with ${String(error.code)}: ${String(error.message).split(' - ').at(-1)}`];
}

describe('lock order', () => {
  it(`closePosition and markToMarket racing on one portfolio both succeed, ${ROUNDS} rounds out of ${ROUNDS}`, async () => {
    const deps = recordingDeps(db, clock);
    const failures: string[] = [];
    let callsOverlapped = 0;
    let transactionsOverlapped = 0;
    const positionIds: string[] = [];

    for (let round = 1; round <= ROUNDS; round++) {
      const position = await openPosition(deps, manager, {
        portfolioId: portfolio.id,
        ticker: ibov.ticker,
        direction: 'LONG',
        notionalBrl: dec('10000000'),
        entryPrice: dec('125000'),
        entryFxRate: dec(5),
        entryDate: '2026-11-16',
        thesis: `Lock-order round ${round}`,
      });
      positionIds.push(position.id);

      const trace = traceTransactions(db);
      const [close, mark] = await Promise.all([
        timed(() => closePosition(deps, manager, { positionId: position.id, closePrice: dec('126000'), fxRate: dec(5) })),
        timed(() => markToMarket(deps, manager, { portfolioId: portfolio.id, fxRate: dec(5) })),
      ]);
      trace.stop();

      failures.push(...describeFailure(round, 'closePosition', close.outcome), ...describeFailure(round, 'markToMarket', mark.outcome));
      if (overlap(close.span, mark.span)) callsOverlapped++;
      // One transaction per write (the reads after commit run outside one): a write that ran again
      // after a deadlock, however it then ended, shows here as a third transaction.
      const [first, second, ...more] = [...trace.spans.values()];
      if (more.length > 0) failures.push(`round ${round}: ${2 + more.length} transactions for 2 writes`);
      if (first && second && overlap(first, second)) transactionsOverlapped++;
    }

    expect(failures).toEqual([]);
    // The race really raced: both calls in flight at once in every round, and in most rounds their
    // transactions were open in Postgres at the same time (so one waited for the other's locks).
    expect(callsOverlapped).toBe(ROUNDS);
    expect(transactionsOverlapped).toBeGreaterThanOrEqual(Math.ceil(ROUNDS * 0.75));

    // And the outcome is that of some serial order: every position closed once, the chain intact.
    expect(await countRows(db, 'positions', { portfolio_id: portfolio.id, is_open: true })).toBe(0);
    for (const id of positionIds) {
      expect(await countRows(db, 'journal_entries', { position_id: id, type: 'CLOSE' })).toBe(1);
    }
    expect(await verifyJournalChain(db, portfolio.id)).toMatchObject({ valid: true });
  }, 120_000);
});
