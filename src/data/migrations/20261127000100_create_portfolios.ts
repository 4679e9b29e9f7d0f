import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('portfolios', (t) => {
    t.uuid('id').primary({ constraintName: 'pk_portfolios' }).defaultTo(knex.raw('gen_random_uuid()'));
    t.text('code').notNullable().unique({ indexName: 'uq_portfolios_code' });
    t.text('name').notNullable();
    t.specificType('base_currency', 'char(3)').notNullable().defaultTo('BRL');
    t.decimal('aum_brl', 20, 2).notNullable().defaultTo(100_000_000);
    t.date('inception_date').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.check('?? > 0', ['aum_brl'], 'ck_portfolios_aum_positive');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('portfolios');
}
