import type { Knex } from 'knex';
import { createDb } from '../../src/data/db';
import { readablePortfolio } from '../../src/services/portfolios.service';
import { TEST_DATABASE_URL } from '../database-url';
import { testDb } from '../support/db';
import { actor, createPortfolio } from '../support/factories';

const viewer = actor('VIEWER');

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
      const fund = await createPortfolio(db);
      const statements = recordStatements(db);
      const found = await Promise.all(Array.from({ length: 50 }, () => readablePortfolio(db, viewer, fund.code)));
      expect(statements.sql).toHaveLength(1);
      expect(statements.sql[0]).toMatch(/from "portfolios"/);
      expect(found.map((p) => p.id)).toEqual(Array.from({ length: 50 }, () => fund.id));

      await readablePortfolio(db, viewer, fund.code);
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
      const fund = await createPortfolio(db);
      await db.raw('set search_path to pg_catalog');
      const statements = recordStatements(db);
      const failed = await Promise.allSettled(Array.from({ length: 5 }, () => readablePortfolio(db, viewer, fund.code)));
      expect(failed.map((r) => r.status === 'rejected' && (r.reason as { code?: string }).code)).toEqual(Array(5).fill('42P01'));
      expect(statements.sql).toHaveLength(1);
      statements.stop();

      await db.raw('reset search_path');
      const retry = recordStatements(db);
      await expect(readablePortfolio(db, viewer, fund.code)).resolves.toMatchObject({ id: fund.id });
      expect(retry.sql).toHaveLength(1);
      retry.stop();
    } finally {
      await db.destroy();
    }
  });
});
