import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('morning_packs', (t) => {
    t.uuid('id').primary({ constraintName: 'pk_morning_packs' }).defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('portfolio_id').notNullable()
      .references('id').inTable('portfolios').withKeyName('fk_morning_packs_portfolio');
    t.date('briefing_date').notNullable();
    t.timestamp('generated_at', { useTz: true }).notNullable();
    t.jsonb('sections').notNullable();
    t.text('generated_by').notNullable();
    t.unique(['portfolio_id', 'briefing_date'], { indexName: 'uq_morning_packs_portfolio_date' });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('morning_packs');
}
