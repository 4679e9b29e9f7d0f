import type { Knex } from 'knex';

/**
 * Every write records its acting user: a proposal now names who created it (the manager of a
 * discretionary open, the caller of generateProposals). Rows from before this migration keep null:
 * their creator was not recorded, and guessing one would put a name on an act nobody recorded.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('trade_proposals', (t) => {
    t.text('created_by');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('trade_proposals', (t) => {
    t.dropColumn('created_by');
  });
}
