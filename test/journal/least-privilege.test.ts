import { GenerateMorningPackDocument, JournalIntegrityDocument, RecordOutcomeDocument } from '../../client/generated/graphql';
import { createDb, migrateLatest, type Db } from '../../src/data/db';
import { GATEWAY_ROLE, refreshGatewayGrants, setupGatewayRole } from '../../src/data/gateway-role';
import { fixedClock } from '../support/clock';
import { TEST_DATABASE_URL } from '../database-url';
import { testDb } from '../support/db';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { dataOf } from '../e2e/harness';
import { uid } from '../support/factories';
import { admin, journalOf, journalRows } from './support';

/**
 * The gateway's own role (db:setup-roles): no superuser, owner of nothing, no UPDATE, DELETE or
 * TRUNCATE on the journal and its anchors. Postgres refuses those (42501) before any trigger runs,
 * while everything the gateway does (migrate-at-start when up to date, writes that journal and
 * anchor, reads, cache generations) works as that role.
 */
const owner = testDb();
const clock = fixedClock('2026-11-20T15:00:00Z');
let asGateway: Db;
let gateway: TestGateway;

function urlAs(role: string): string {
  const url = new URL(TEST_DATABASE_URL);
  url.username = role;
  url.password = '';
  return url.toString();
}

beforeAll(async () => {
  await setupGatewayRole(owner, null);
  asGateway = createDb({ kind: 'postgres', url: urlAs(GATEWAY_ROLE), poolMax: 4 });
  gateway = await startTestGateway(asGateway, clock);
});
afterAll(async () => {
  await gateway.stop();
  await asGateway.destroy();
  await owner.destroy();
});

const PRIVILEGE_REFUSED = { code: '42501' };

describe(`the ${GATEWAY_ROLE} role`, () => {
  it('is a login role with no superuser, role, database or RLS-bypass rights, owning no table', async () => {
    const [me] = await asGateway('pg_roles').whereRaw('rolname = current_user')
      .select('rolname', 'rolsuper', 'rolcreaterole', 'rolcreatedb', 'rolbypassrls', 'rolreplication', 'rolcanlogin');
    expect(me).toEqual({
      rolname: GATEWAY_ROLE, rolsuper: false, rolcreaterole: false, rolcreatedb: false, rolbypassrls: false, rolreplication: false, rolcanlogin: true,
    });
    expect(await asGateway('pg_tables').where({ schemaname: 'public', tableowner: GATEWAY_ROLE }).count<{ count: string }[]>({ count: '*' })).toEqual([{ count: '0' }]);
  });

  it('is refused UPDATE, DELETE and TRUNCATE on the journal and its anchors by Postgres itself, and cannot lift the triggers', async () => {
    const { portfolio } = await journalOf(owner, clock, 1);
    dataOf(await gateway.execute(GenerateMorningPackDocument, { input: { portfolioId: portfolio.code, force: true } }, gateway.token(admin)));
    const before = await journalRows(owner, portfolio.id);
    for (const table of ['journal_entries', 'journal_anchors']) {
      await expect(asGateway(table).where({ portfolio_id: portfolio.id }).update({ portfolio_id: portfolio.id })).rejects.toMatchObject(PRIVILEGE_REFUSED);
      await expect(asGateway(table).where({ portfolio_id: portfolio.id }).delete()).rejects.toMatchObject(PRIVILEGE_REFUSED);
      await expect(asGateway.raw(`truncate ${table}`)).rejects.toMatchObject(PRIVILEGE_REFUSED);
      await expect(asGateway.raw(`alter table ${table} disable trigger all`)).rejects.toMatchObject(PRIVILEGE_REFUSED);
    }
    await expect(asGateway.raw('set session_replication_role = replica')).rejects.toMatchObject(PRIVILEGE_REFUSED);
    // Nothing moved, and the anchor the pack wrote is there.
    expect(await journalRows(owner, portfolio.id)).toEqual(before);
    expect(await owner('journal_anchors').where({ portfolio_id: portfolio.id }).count<{ count: string }[]>({ count: '*' })).toEqual([{ count: '1' }]);
  });

  it('runs the gateway: migrate at start (up to date), journaled writes, a morning pack anchor, integrity, over HTTP', async () => {
    expect(await migrateLatest(asGateway)).toEqual([]);
    // Written as the role: portfolio, instrument, OPEN and a NOTE, through the services.
    const { portfolio, positionId } = await journalOf(asGateway, clock, 1);
    const token = gateway.token(admin);
    dataOf(await gateway.execute(RecordOutcomeDocument, { input: { positionId, notes: 'Written as pms_gateway' } }, token));
    dataOf(await gateway.execute(GenerateMorningPackDocument, { input: { portfolioId: portfolio.code, force: true } }, token));
    const { journalIntegrity } = dataOf(await gateway.execute(JournalIntegrityDocument, { portfolioId: portfolio.code }, token));
    expect(journalIntegrity).toMatchObject({ entries: 3, valid: true, anchorsChecked: 1 });
    expect((await journalRows(owner, portfolio.id)).map((r) => r.manager_notes).at(-1)).toBe('Written as pms_gateway');
  });

  it('gets the same exact grants when set up again, with a password when one is given', async () => {
    const { created, grants } = await setupGatewayRole(owner, 'gateway-test-password-1');
    expect(created).toBe(false);
    expect(Object.fromEntries(grants)).toMatchObject({
      journal_entries: 'select, insert', journal_anchors: 'select, insert', knex_migrations: 'select', knex_migrations_lock: 'select, update',
      positions: 'select, insert, update, delete', fact_generations: 'select, insert, update, delete',
    });
    const [{ has }] = await owner('pg_authid').where({ rolname: GATEWAY_ROLE }).select(owner.raw('rolpassword is not null as has'));
    expect(has).toBe(true);
  });

  it('reaches a table a later migration adds once migrate refreshes its grants, which only the owner does', async () => {
    const table = `journal_scratch_${uid().toLowerCase()}`;
    await owner.schema.createTable(table, (t) => t.integer('n'));
    try {
      await expect(asGateway(table).select()).rejects.toMatchObject(PRIVILEGE_REFUSED);
      expect(await refreshGatewayGrants(asGateway)).toBeNull();
      expect(Object.fromEntries((await refreshGatewayGrants(owner))?.grants ?? [])).toMatchObject({ [table]: 'select, insert, update, delete' });
      await expect(asGateway(table).select()).resolves.toEqual([]);
    } finally {
      await owner.schema.dropTable(table);
    }
  });
});
