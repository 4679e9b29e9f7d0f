import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('instruments', (t) => {
    t.uuid('id').primary({ constraintName: 'pk_instruments' }).defaultTo(knex.raw('gen_random_uuid()'));
    t.text('ticker').notNullable().unique({ indexName: 'uq_instruments_ticker' });
    t.text('name').notNullable();
    t.text('asset_class').notNullable();
    t.text('price_convention').notNullable();
    t.decimal('cost_bps', 8, 4).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.check(
      "?? in ('RATES','FX','INFLATION','SOVEREIGN','CREDIT','EQUITY','CUPOM','CROSS_ASSET')",
      ['asset_class'],
      'ck_instruments_asset_class',
    );
    t.check("?? in ('PU','SPOT','PRICE','SPREAD_BPS')", ['price_convention'], 'ck_instruments_price_convention');
    t.check('?? >= 0', ['cost_bps'], 'ck_instruments_cost_bps_non_negative');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('instruments');
}
