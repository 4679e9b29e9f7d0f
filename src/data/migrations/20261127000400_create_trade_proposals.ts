import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('trade_proposals', (t) => {
    t.uuid('id').primary({ constraintName: 'pk_trade_proposals' }).defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('portfolio_id').notNullable()
      .references('id').inTable('portfolios').withKeyName('fk_trade_proposals_portfolio');
    t.uuid('instrument_id').notNullable()
      .references('id').inTable('instruments').withKeyName('fk_trade_proposals_instrument');
    t.text('asset_class').notNullable();
    t.text('direction').notNullable();
    t.decimal('suggested_notional_brl', 20, 2).notNullable();
    t.double('conviction').notNullable();
    t.text('signal_source').notNullable();
    t.specificType('strategy_ids', 'text[]').notNullable().defaultTo('{}');
    t.text('rationale').notNullable();
    t.jsonb('risk_impact');
    t.text('status').notNullable().defaultTo('PENDING');
    t.date('as_of_date').notNullable();
    t.boolean('is_flip').notNullable().defaultTo(false);
    t.text('reviewed_by');
    t.timestamp('reviewed_at', { useTz: true });
    t.decimal('execution_price', 24, 8);
    t.decimal('execution_notional_brl', 20, 2);
    // position_id gets its foreign key in the positions migration (the two reference each other).
    t.uuid('position_id');
    t.text('notes');
    t.integer('version').notNullable().defaultTo(1);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['portfolio_id', 'as_of_date', 'status'], 'ix_trade_proposals_portfolio_date_status');
    t.check(
      "?? in ('RATES','FX','INFLATION','SOVEREIGN','CREDIT','EQUITY','CUPOM','CROSS_ASSET')",
      ['asset_class'],
      'ck_trade_proposals_asset_class',
    );
    t.check("?? in ('LONG','SHORT')", ['direction'], 'ck_trade_proposals_direction');
    t.check("?? in ('PENDING','APPROVED','REJECTED','MODIFIED','EXPIRED')", ['status'], 'ck_trade_proposals_status');
    t.check('?? > 0', ['suggested_notional_brl'], 'ck_trade_proposals_notional_positive');
    t.check('?? between 0 and 1', ['conviction'], 'ck_trade_proposals_conviction_range');
    // A reviewed status always names its reviewer; an executed one its terms.
    t.check(
      "?? in ('PENDING','EXPIRED') or ?? is not null",
      ['status', 'reviewed_by'],
      'ck_trade_proposals_reviewed_by',
    );
    t.check(
      "?? not in ('APPROVED','MODIFIED') or (?? is not null and ?? is not null)",
      ['status', 'execution_price', 'execution_notional_brl'],
      'ck_trade_proposals_execution_terms',
    );
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('trade_proposals');
}
