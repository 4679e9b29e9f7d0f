import { createDb, migrateLatest } from '../src/data/db';
import { TEST_DATABASE_URL } from './database-url';

/**
 * Runs once before the integration suites: brings the test database to the latest schema.
 * Suites never truncate or reset: each makes its own portfolio with random ids, so they can run in
 * parallel on one database (and the journal is append-only by trigger anyway).
 * When the migration history on disk no longer matches the database (a migration was edited
 * during development), the schema is rebuilt from scratch: this database holds test data only.
 */
export default async function globalSetup(): Promise<void> {
  const db = createDb({ kind: 'postgres', url: TEST_DATABASE_URL, poolMax: 2 });
  try {
    try {
      await migrateLatest(db);
    } catch (error) {
      if (!/corrupt|missing/i.test(String(error))) throw error;
      await db.raw('drop schema public cascade; create schema public;');
      await migrateLatest(db);
    }
  } finally {
    await db.destroy();
  }
}
