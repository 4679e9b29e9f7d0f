import type { Knex } from 'knex';

/**
 * The decision journal: append-only, enforced by the database rather than by convention, so no
 * code path (nor a person with psql) can rewrite history. Each row carries the hash of its
 * canonical content chained to the previous row of the same portfolio.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('journal_entries', (t) => {
    t.bigIncrements('id', { primaryKey: false });
    t.primary(['id'], { constraintName: 'pk_journal_entries' });
    t.uuid('portfolio_id').notNullable()
      .references('id').inTable('portfolios').withKeyName('fk_journal_entries_portfolio');
    t.text('type').notNullable();
    t.uuid('position_id').references('id').inTable('positions').withKeyName('fk_journal_entries_position');
    t.uuid('proposal_id').references('id').inTable('trade_proposals').withKeyName('fk_journal_entries_proposal');
    t.uuid('instrument_id').references('id').inTable('instruments').withKeyName('fk_journal_entries_instrument');
    t.text('direction');
    t.decimal('notional_brl', 20, 2);
    t.decimal('price', 24, 8);
    t.text('manager_notes');
    t.text('system_notes');
    t.text('actor').notNullable();
    t.specificType('content_hash', 'char(64)').notNullable().unique({ indexName: 'uq_journal_entries_content_hash' });
    t.specificType('previous_hash', 'char(64)');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['portfolio_id', 'id'], 'ix_journal_entries_portfolio_id');
    t.index(['position_id'], 'ix_journal_entries_position');
    t.index(['proposal_id'], 'ix_journal_entries_proposal');
    t.check("?? in ('OPEN','CLOSE','REJECT','MODIFY','NOTE','SYSTEM_EVENT')", ['type'], 'ck_journal_entries_type');
    t.check("?? is null or ?? in ('LONG','SHORT')", ['direction', 'direction'], 'ck_journal_entries_direction');
  });
  await knex.raw(`
    create function journal_entries_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'journal_entries is append-only: % refused', tg_op
        using errcode = 'restrict_violation';
    end
    $$`);
  await knex.raw(`
    create trigger trg_journal_entries_append_only
      before update or delete on journal_entries
      for each row execute function journal_entries_append_only()`);
  await knex.raw(`
    create trigger trg_journal_entries_no_truncate
      before truncate on journal_entries
      for each statement execute function journal_entries_append_only()`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('journal_entries');
  await knex.raw('drop function if exists journal_entries_append_only()');
}
