import type { Knex } from 'knex';
import { createDb } from '../../src/data/db';
import { PortfolioDirectory, readablePortfolio } from '../../src/services/portfolios.service';
import { TEST_DATABASE_URL } from '../database-url';
import { fixedClock } from '../support/clock';
import { testDb } from '../support/db';
import { actor, createPortfolio } from '../support/factories';

const viewer = actor('VIEWER');
const clock = fixedClock();
/** A knex for the tests that need no fresh instance. */
const shared = testDb();

afterAll(async () => {
  await shared.destroy();
});

/** Every SQL statement `db` sends from now on, as knex's 'query' event reports it. */
function recordStatements(db: Knex): { readonly sql: string[]; stop(): void } {
  const sql: string[] = [];
  const onQuery = (q: { sql: string }): void => {
    sql.push(q.sql);
  };
  db.on('query', onQuery);
  return { sql, stop: () => db.off('query', onQuery) };
}

describe('readablePortfolio', () => {
  it('answers 50 concurrent cold lookups of one portfolio with one SQL statement, then remembers it', async () => {
    // A knex of its own: a fresh instance, nothing remembered for it yet.
    const db = testDb();
    try {
      const portfolios = new PortfolioDirectory(db, clock);
      const fund = await createPortfolio(db);
      const statements = recordStatements(db);
      const found = await Promise.all(Array.from({ length: 50 }, () => readablePortfolio(portfolios, viewer, fund.code)));
      expect(statements.sql).toHaveLength(1);
      expect(statements.sql[0]).toMatch(/from "portfolios"/);
      expect(found.map((p) => p.id)).toEqual(Array.from({ length: 50 }, () => fund.id));

      await readablePortfolio(portfolios, viewer, fund.code);
      expect(statements.sql).toHaveLength(1);
      statements.stop();
    } finally {
      await db.destroy();
    }
  });

  it('shares a failed lookup with the callers that joined it, and the next caller asks again', async () => {
    // One connection, so a session setting holds for every statement: with `public` off the
    // search path, Postgres itself refuses the lookup (42P01, no such table).
    const db = createDb({ kind: 'postgres', url: TEST_DATABASE_URL, poolMax: 1 });
    try {
      const portfolios = new PortfolioDirectory(db, clock);
      const fund = await createPortfolio(db);
      await db.raw('set search_path to pg_catalog');
      const statements = recordStatements(db);
      const failed = await Promise.allSettled(Array.from({ length: 5 }, () => readablePortfolio(portfolios, viewer, fund.code)));
      expect(failed.map((r) => r.status === 'rejected' && (r.reason as { code?: string }).code)).toEqual(Array(5).fill('42P01'));
      expect(statements.sql).toHaveLength(1);
      statements.stop();

      await db.raw('reset search_path');
      const retry = recordStatements(db);
      await expect(readablePortfolio(portfolios, viewer, fund.code)).resolves.toMatchObject({ id: fund.id });
      expect(retry.sql).toHaveLength(1);
      retry.stop();
    } finally {
      await db.destroy();
    }
  });

  it("remembers a portfolio for a minute of the gateway's clock, then asks the database again", async () => {
    const moving = fixedClock();
    const portfolios = new PortfolioDirectory(shared, moving);
    const fund = await createPortfolio(shared);
    const statements = recordStatements(shared);
    try {
      await readablePortfolio(portfolios, viewer, fund.code);
      moving.advance(60_000);
      await readablePortfolio(portfolios, viewer, fund.code);
      expect(statements.sql).toHaveLength(1);
      moving.advance(1);
      await readablePortfolio(portfolios, viewer, fund.code);
      expect(statements.sql).toHaveLength(2);
    } finally {
      statements.stop();
    }
  });

  it('remembers for the memory it is given, and nothing with a memory of 0', async () => {
    const moving = fixedClock();
    const fund = await createPortfolio(shared);
    const statements = recordStatements(shared);
    try {
      const hourly = new PortfolioDirectory(shared, moving, { rememberMs: 3_600_000 });
      await readablePortfolio(hourly, viewer, fund.code);
      moving.advance(3_599_999);
      await readablePortfolio(hourly, viewer, fund.id);
      expect(statements.sql).toHaveLength(1);
      const never = new PortfolioDirectory(shared, moving, { rememberMs: 0 });
      for (let i = 0; i < 3; i += 1) await readablePortfolio(never, viewer, fund.code);
      expect(statements.sql).toHaveLength(4);
      expect(() => new PortfolioDirectory(shared, moving, { rememberMs: -1 })).toThrow(RangeError);
    } finally {
      statements.stop();
    }
  });

  it('keeps at most its bound of refs, the least recently used going first, and shares nothing with another gateway', async () => {
    // A portfolio found by code is remembered under its code and its id: two refs each.
    const portfolios = new PortfolioDirectory(shared, clock, { max: 4 });
    const [a, b, c] = [await createPortfolio(shared), await createPortfolio(shared), await createPortfolio(shared)];
    const statements = recordStatements(shared);
    try {
      await readablePortfolio(portfolios, viewer, a.code);
      await readablePortfolio(portfolios, viewer, b.code);
      // a's refs are now more recently used than b's.
      await readablePortfolio(portfolios, viewer, a.code);
      await readablePortfolio(portfolios, viewer, a.id);
      await readablePortfolio(portfolios, viewer, c.code); // b's two refs go
      expect(statements.sql).toHaveLength(3);
      await readablePortfolio(portfolios, viewer, a.id);
      await readablePortfolio(portfolios, viewer, a.code);
      await readablePortfolio(portfolios, viewer, c.id);
      expect(statements.sql).toHaveLength(3);
      await readablePortfolio(portfolios, viewer, b.code);
      expect(statements.sql).toHaveLength(4);

      // Another gateway's directory on the same database remembers nothing of this one's.
      await readablePortfolio(new PortfolioDirectory(shared, clock), viewer, c.code);
      expect(statements.sql).toHaveLength(5);
    } finally {
      statements.stop();
    }
  });
});
