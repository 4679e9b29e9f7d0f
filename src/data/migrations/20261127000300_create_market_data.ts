import type { Knex } from 'knex';

/** Closing prices per instrument and date (MTM input), and tracked macro series (morning pack). */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('market_prices', (t) => {
    t.uuid('instrument_id').notNullable()
      .references('id').inTable('instruments').withKeyName('fk_market_prices_instrument');
    t.date('date').notNullable();
    t.decimal('close', 24, 8).notNullable();
    t.primary(['instrument_id', 'date'], { constraintName: 'pk_market_prices' });
    t.check('?? > 0', ['close'], 'ck_market_prices_close_positive');
  });
  await knex.schema.createTable('market_series', (t) => {
    t.text('series').notNullable();
    t.date('date').notNullable();
    t.double('value').notNullable();
    t.primary(['series', 'date'], { constraintName: 'pk_market_series' });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('market_series');
  await knex.schema.dropTable('market_prices');
}
