import type { Knex } from 'knex';
import { journalKeyring } from '../journal-keyring';
import { sealLegacyJournal } from '../journal.repository';

/**
 * The keyed journal. The sha256 chain proves order to anyone and completeness to no one: whoever
 * can write the table (a superuser can bypass the append-only trigger) can edit an entry and
 * re-hash every later one, or delete the newest. So:
 * - each entry carries `mac`, an HMAC-SHA256 under JOURNAL_KEY (a key the database never holds)
 *   chained to the previous entry's MAC, and `key_id`, which key sealed it (rotation);
 * - `journal_anchors` records, outside the journal table, each portfolio's length and head MAC at
 *   each morning pack, MAC'd too, and append-only like the journal.
 *
 * Entries written before this migration are sealed here, once, with the configured key, after
 * their sha256 chain verifies (journal.repository.ts, sealLegacyJournal): from then on every entry
 * has a MAC and a missing one is a break, so nobody can pass a stripped chain off as legacy. The
 * limit: sealing vouches for those entries as they were when it ran.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('journal_entries', (t) => {
    t.specificType('mac', 'char(64)');
    t.text('key_id');
  });
  await knex.schema.createTable('journal_anchors', (t) => {
    t.bigIncrements('id', { primaryKey: false });
    t.primary(['id'], { constraintName: 'pk_journal_anchors' });
    t.uuid('portfolio_id').notNullable()
      .references('id').inTable('portfolios').withKeyName('fk_journal_anchors_portfolio');
    t.integer('length').notNullable();
    t.bigInteger('head_entry_id');
    t.specificType('head_mac', 'char(64)');
    t.text('key_id').notNullable();
    t.specificType('mac', 'char(64)').notNullable();
    t.text('reason').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.index(['portfolio_id', 'id'], 'ix_journal_anchors_portfolio_id');
    t.check('?? >= 0', ['length'], 'ck_journal_anchors_length');
    t.check("?? in ('MORNING_PACK','SEAL')", ['reason'], 'ck_journal_anchors_reason');
  });
  await knex.raw(`
    create function journal_anchors_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'journal_anchors is append-only: % refused', tg_op
        using errcode = 'restrict_violation';
    end
    $$`);
  await knex.raw(`
    create trigger trg_journal_anchors_append_only
      before update or delete on journal_anchors
      for each row execute function journal_anchors_append_only()`);
  await knex.raw(`
    create trigger trg_journal_anchors_no_truncate
      before truncate on journal_anchors
      for each statement execute function journal_anchors_append_only()`);
  // Knex runs each migration in a transaction on Postgres: the columns, the seal and its anchors
  // commit together, or not at all.
  await sealLegacyJournal(knex as Knex.Transaction, journalKeyring(), new Date());
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('journal_anchors');
  await knex.raw('drop function if exists journal_anchors_append_only()');
  await knex.schema.alterTable('journal_entries', (t) => {
    t.dropColumn('mac');
    t.dropColumn('key_id');
  });
}
