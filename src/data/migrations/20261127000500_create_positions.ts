import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('positions', (t) => {
    t.uuid('id').primary({ constraintName: 'pk_positions' }).defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('portfolio_id').notNullable()
      .references('id').inTable('portfolios').withKeyName('fk_positions_portfolio');
    t.uuid('instrument_id').notNullable()
      .references('id').inTable('instruments').withKeyName('fk_positions_instrument');
    t.uuid('proposal_id')
      .references('id').inTable('trade_proposals').withKeyName('fk_positions_proposal');
    t.text('direction').notNullable();
    t.decimal('notional_brl', 20, 2).notNullable();
    t.decimal('quantity', 24, 8);
    t.decimal('entry_price', 24, 8).notNullable();
    t.date('entry_date').notNullable();
    t.decimal('entry_fx_rate', 16, 8).notNullable();
    t.decimal('current_price', 24, 8).notNullable();
    t.date('last_mark_date');
    t.decimal('unrealized_pnl_brl', 20, 4).notNullable().defaultTo(0);
    t.decimal('unrealized_pnl_usd', 20, 4).notNullable().defaultTo(0);
    t.decimal('realized_pnl_brl', 20, 4).notNullable().defaultTo(0);
    t.decimal('realized_pnl_usd', 20, 4).notNullable().defaultTo(0);
    t.decimal('transaction_cost_brl', 20, 4).notNullable().defaultTo(0);
    t.boolean('is_open').notNullable().defaultTo(true);
    t.date('closed_at');
    t.decimal('close_price', 24, 8);
    t.decimal('rate_pct', 12, 6);
    t.integer('business_days');
    t.specificType('strategy_ids', 'text[]').notNullable().defaultTo('{}');
    t.jsonb('strategy_weights');
    t.text('notes');
    t.integer('version').notNullable().defaultTo(1);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['portfolio_id', 'is_open'], 'ix_positions_portfolio_open');
    t.index(['instrument_id'], 'ix_positions_instrument');
    t.check("?? in ('LONG','SHORT')", ['direction'], 'ck_positions_direction');
    t.check('?? > 0', ['notional_brl'], 'ck_positions_notional_positive');
    t.check('?? > 0', ['entry_price'], 'ck_positions_entry_price_positive');
    t.check('?? > 0', ['entry_fx_rate'], 'ck_positions_entry_fx_positive');
    // Open and closed are exclusive states: a closed position has its close date and price.
    t.check(
      '(?? and ?? is null and ?? is null) or (not ?? and ?? is not null and ?? is not null)',
      ['is_open', 'closed_at', 'close_price', 'is_open', 'closed_at', 'close_price'],
      'ck_positions_open_or_closed',
    );
  });
  await knex.schema.alterTable('trade_proposals', (t) => {
    t.foreign('position_id', 'fk_trade_proposals_position').references('id').inTable('positions');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('trade_proposals', (t) => {
    t.dropForeign('position_id', 'fk_trade_proposals_position');
  });
  await knex.schema.dropTable('positions');
}
