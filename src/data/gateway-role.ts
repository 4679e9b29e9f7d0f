import type { Knex } from 'knex';

/** The login role the gateway connects as in production (DATABASE_URL), distinct from the owner. */
export const GATEWAY_ROLE = 'pms_gateway';

/**
 * Tables the gateway appends to and never changes: no UPDATE, DELETE or TRUNCATE, so the
 * append-only triggers are a second wall, not the only one (a role without the privilege never
 * reaches them). Only the owner, which runs the migrations, can disable a trigger.
 */
const APPEND_ONLY = new Set(['journal_entries', 'journal_anchors']);
/** Knex's bookkeeping: the gateway migrates at start, a no-op that takes the lock when up to date. */
const MIGRATION_LOCK = 'knex_migrations_lock';
const MIGRATION_LOG = 'knex_migrations';

export interface GatewayRoleResult {
  readonly created: boolean;
  /** Privileges per table, as granted. */
  readonly grants: ReadonlyArray<readonly [table: string, privileges: string]>;
}

/**
 * Creates (if missing) the gateway's role, NOSUPERUSER and owning nothing, and grants exactly what
 * the gateway does, per table of the schema: SELECT, INSERT, UPDATE, DELETE on the tables it keeps;
 * SELECT, INSERT on the journal and its anchors; sequences for its inserts. Everything is revoked
 * first, so re-running after a migration (new tables) gives the same exact set. Run as the owner
 * of the schema, with the CREATEROLE right when the role is missing; `password` null keeps the
 * role's password as it is (pg_hba decides how it logs in).
 */
export async function setupGatewayRole(db: Knex, password: string | null, role = GATEWAY_ROLE): Promise<GatewayRoleResult> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(role)) throw new TypeError(`invalid role name ${role}`);
  return db.transaction(async (trx) => {
    const exists = (await trx('pg_roles').where({ rolname: role }).first()) !== undefined;
    if (!exists) await trx.raw('create role ?? login', [role]);
    await trx.raw('alter role ?? with login nosuperuser nocreatedb nocreaterole noreplication nobypassrls', [role]);
    // A password cannot be a bound parameter in DDL: quoted as a literal by Postgres itself.
    if (password !== null) {
      const { rows } = await trx.raw<{ rows: Array<{ literal: string }> }>('select quote_literal(?::text) as literal', [password]);
      await trx.raw(`alter role ?? with password ${rows[0]?.literal ?? 'NULL'}`, [role]);
    }
    const database = (await trx.raw<{ rows: Array<{ name: string }> }>('select current_database() as name')).rows[0]?.name ?? '';
    await trx.raw('grant connect on database ?? to ??', [database, role]);
    await trx.raw('grant usage on schema public to ??', [role]);
    await trx.raw('revoke all on all tables in schema public from ??', [role]);
    await trx.raw('revoke all on all sequences in schema public from ??', [role]);
    await trx.raw('grant usage, select on all sequences in schema public to ??', [role]);
    const tables: Array<{ tablename: string }> = await trx('pg_tables').select('tablename').where({ schemaname: 'public' }).orderBy('tablename');
    const grants: Array<[string, string]> = [];
    for (const { tablename } of tables) {
      const privileges = APPEND_ONLY.has(tablename)
        ? 'select, insert'
        : tablename === MIGRATION_LOCK
          ? 'select, update'
          : tablename === MIGRATION_LOG
            ? 'select'
            : 'select, insert, update, delete';
      await trx.raw(`grant ${privileges} on ?? to ??`, [tablename, role]);
      grants.push([tablename, privileges]);
    }
    return { created: !exists, grants };
  });
}

/**
 * After a migration (which may add a table): re-grants the gateway's role its exact set, if the
 * role exists and the connected user owns the journal (the owner, who runs migrations); otherwise
 * does nothing and says so (null). So `npm run migrate` keeps the role in step by itself.
 */
export async function refreshGatewayGrants(db: Knex, role = GATEWAY_ROLE): Promise<GatewayRoleResult | null> {
  const exists = (await db('pg_roles').where({ rolname: role }).first()) !== undefined;
  const owned = await db('pg_tables').where({ schemaname: 'public', tablename: 'journal_entries' }).whereRaw('tableowner = current_user').first();
  if (!exists || owned === undefined) return null;
  return setupGatewayRole(db, null, role);
}
