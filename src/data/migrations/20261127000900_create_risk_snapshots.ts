import type { Knex } from 'knex';

/** One risk summary per portfolio and date, upserted by each live-risk computation (the trend). */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('risk_snapshots', (t) => {
    t.uuid('portfolio_id').notNullable()
      .references('id').inTable('portfolios').withKeyName('fk_risk_snapshots_portfolio');
    t.date('date').notNullable();
    t.double('var95');
    t.double('var99');
    t.double('gross_leverage').notNullable();
    t.double('drawdown_pct').notNullable();
    t.integer('alert_count').notNullable();
    t.text('overall_status').notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['portfolio_id', 'date'], { constraintName: 'pk_risk_snapshots' });
    t.check("?? in ('OK','WARNING','BREACHED')", ['overall_status'], 'ck_risk_snapshots_status');
    t.check('?? >= 0', ['alert_count'], 'ck_risk_snapshots_alert_count');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('risk_snapshots');
}
