import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('pnl_snapshots', (t) => {
    t.uuid('id').primary({ constraintName: 'pk_pnl_snapshots' }).defaultTo(knex.raw('gen_random_uuid()'));
    t.date('date').notNullable();
    t.uuid('position_id').notNullable()
      .references('id').inTable('positions').withKeyName('fk_pnl_snapshots_position');
    // Denormalized from the position: the portfolio's daily series is read by (portfolio, date).
    t.uuid('portfolio_id').notNullable()
      .references('id').inTable('portfolios').withKeyName('fk_pnl_snapshots_portfolio');
    t.decimal('mark_price', 24, 8).notNullable();
    t.decimal('unrealized_pnl_brl', 20, 4).notNullable();
    t.decimal('unrealized_pnl_usd', 20, 4).notNullable();
    t.decimal('daily_pnl_brl', 20, 4).notNullable();
    t.decimal('daily_pnl_usd', 20, 4).notNullable();
    t.decimal('realized_pnl_brl', 20, 4).notNullable().defaultTo(0);
    t.decimal('fx_rate', 16, 8).notNullable();
    t.boolean('is_manual_override').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['date', 'position_id'], { indexName: 'uq_pnl_snapshots_date_position' });
    t.index(['portfolio_id', 'date'], 'ix_pnl_snapshots_portfolio_date');
    t.index(['position_id', 'date'], 'ix_pnl_snapshots_position_date');
    t.check('?? > 0', ['fx_rate'], 'ck_pnl_snapshots_fx_positive');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('pnl_snapshots');
}
