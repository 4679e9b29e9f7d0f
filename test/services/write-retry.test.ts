import type { Knex } from 'knex';
import type { Portfolio } from '../../src/domain/types';
import { runWrite } from '../../src/services/write';
import { fixedClock } from '../support/clock';
import { testDb } from '../support/db';
import { actor, createPortfolio, recordingDeps } from '../support/factories';

/**
 * runWrite retries a transaction Postgres rolled back as a deadlock (40P01): two writes that lock
 * two portfolio rows in opposite orders really deadlock here, one of them is chosen as the victim,
 * and both still succeed; the retry is visible as a third transaction.
 */
const db = testDb();
const deps = recordingDeps(db, fixedClock());
let first: Portfolio;
let second: Portfolio;

beforeAll(async () => {
  first = await createPortfolio(db);
  second = await createPortfolio(db);
});
afterAll(async () => {
  await db.destroy();
});

/** Resolves once `count` transactions hold their first lock, so both wait on each other's second. */
function barrier(count: number): () => Promise<void> {
  let arrived = 0;
  let release!: () => void;
  const all = new Promise<void>((resolve) => (release = resolve));
  return () => {
    arrived += 1;
    if (arrived === count) release();
    return all;
  };
}

it('retries the victim of a deadlock: both writes succeed, in three transactions', async () => {
  const bothLocked = barrier(2);
  const attempts: string[] = [];
  const lockBoth = (label: string, a: Portfolio, b: Portfolio) => async (trx: Knex.Transaction) => {
    attempts.push(label);
    await trx('portfolios').where({ id: a.id }).forUpdate().first();
    // Only the first attempts meet at the barrier: a retry runs alone.
    if (attempts.filter((l) => l === label).length === 1) await bothLocked();
    await trx('portfolios').where({ id: b.id }).forUpdate().first();
    return { result: label, changed: null };
  };
  const write = (label: string, a: Portfolio, b: Portfolio) =>
    runWrite(deps, { actor: actor('ADMIN'), operation: 'recordOutcome', args: { label }, authorize: () => Promise.resolve() }, lockBoth(label, a, b));

  const results = await Promise.all([write('ab', first, second), write('ba', second, first)]);

  expect(results).toEqual(['ab', 'ba']);
  // The deadlock happened (one write ran twice) and was retried, not answered as an error.
  expect(attempts).toHaveLength(3);
});

it('gives up after three attempts and answers the deadlock itself', async () => {
  let attempts = 0;
  const deadlock = Object.assign(new Error('deadlock detected'), { code: '40P01' });
  await expect(
    runWrite(deps, { actor: actor('ADMIN'), operation: 'recordOutcome', args: {}, authorize: () => Promise.resolve() }, () => {
      attempts += 1;
      return Promise.reject(deadlock);
    }),
  ).rejects.toBe(deadlock);
  expect(attempts).toBe(3);
});
