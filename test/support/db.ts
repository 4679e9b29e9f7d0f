import { createDb, type Db } from '../../src/data/db';
import { TEST_DATABASE_URL } from '../database-url';

/** One knex per test file against the migrated test database (global setup migrated it). */
export function testDb(): Db {
  return createDb({ kind: 'postgres', url: TEST_DATABASE_URL, poolMax: 5 });
}
