import { knex, type Knex } from 'knex';
import pg from 'pg';
import ClientPgLite from 'knex-pglite';
import { migrationSource } from './migrations';
import { acquirePgliteLock } from './pglite-lock';

// Postgres `date` is a calendar date: keep it as the 'YYYY-MM-DD' text instead of letting pg
// build a JS Date at local midnight (which shifts by the machine's time zone).
const PG_DATE_OID = 1082;
pg.types.setTypeParser(PG_DATE_OID, (value: string) => value);

export type Db = Knex;

export type DbConfig =
  | {
    readonly kind: 'postgres';
    readonly url: string;
    readonly poolMax?: number;
    /** statement_timeout of every connection, ms (none when 0 or absent: migrations, tools). */
    readonly statementTimeoutMs?: number;
  }
  | { readonly kind: 'pglite'; readonly dataDir: string };

const COMMON: Knex.Config = {
  // Errors must never carry bound values (they can hold notionals, notes, tokens).
  compileSqlOnError: false,
  migrations: { migrationSource, tableName: 'knex_migrations' },
  log: {
    // knex prints a failed connection attempt with its stack, and then rejects the query with the
    // same error, which its caller reports (once, in one line at start-up): print it only there.
    warn(message: string) {
      if (!message.startsWith('Acquire connection error')) console.warn(message);
    },
  },
};

export function createDb(config: DbConfig): Db {
  switch (config.kind) {
    case 'postgres':
      return knex({
        ...COMMON,
        client: 'pg',
        // Set at connect (a startup parameter): no statement of the gateway runs unbounded, and a
        // cancelled one fails its request alone. PGlite (below) runs in process and has none.
        connection: config.statementTimeoutMs ? { connectionString: config.url, statement_timeout: config.statementTimeoutMs } : config.url,
        pool: { min: 0, max: config.poolMax ?? 10 },
      });
    case 'pglite': {
      // One process per folder (pglite-lock.ts), taken before PGlite opens it; throws
      // PgliteLockError when another process holds it or the folder is not writable.
      const lock = acquirePgliteLock(config.dataDir);
      // PGlite is one embedded Postgres with a single connection: knex-pglite pins the pool to 1.
      const db = knex({
        ...COMMON,
        client: ClientPgLite,
        dialect: 'postgres',
        connection: { filename: config.dataDir },
      } as Knex.Config);
      return releasingOnDestroy(db, () => lock.release());
    }
  }
}

/** The lock goes when the database is closed (and, failing that, when the process exits). */
function releasingOnDestroy(db: Db, release: () => void): Db {
  const destroy = db.destroy.bind(db);
  const destroyAndRelease = (callback?: (error?: unknown) => void): Promise<void> =>
    destroy().then(
      () => {
        release();
        callback?.();
      },
      (error: unknown) => {
        release();
        if (!callback) throw error;
        callback(error);
      },
    );
  // knex defines its methods as configurable properties of the instance (make-knex.js).
  Object.defineProperty(db, 'destroy', { value: destroyAndRelease, configurable: true });
  return db;
}

export async function migrateLatest(db: Db): Promise<string[]> {
  const [, applied] = (await db.migrate.latest()) as [number, string[]];
  return applied;
}
