import type { Knex } from 'knex';

/**
 * Invalidation committed with the data: each write's transaction records, here, the new
 * generation of every fact it changed (`positions:<portfolio id>`, …), so a generation exists if
 * and only if its write does, and announces it with pg_notify (delivered to every listening
 * instance at commit). Generations come from one sequence and only ever rise per fact.
 *
 * The sequence starts from the clock (µs since the epoch at migration time), and the row with
 * the empty fact holds that start: the baseline of every fact no write has touched yet. A
 * database created anew (or restored into a new cluster and migrated again) therefore never
 * issues numbers that entries cached for an earlier database were stored under.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('create sequence fact_generation_seq as bigint');
  await knex.raw(`select setval('fact_generation_seq', (extract(epoch from clock_timestamp()) * 1000000)::bigint)`);
  await knex.schema.createTable('fact_generations', (t) => {
    t.text('fact').primary({ constraintName: 'pk_fact_generations' });
    t.text('scope').notNullable();
    t.bigInteger('generation').notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(`insert into fact_generations (fact, scope, generation) values ('', '', currval('fact_generation_seq'))`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('fact_generations');
  await knex.raw('drop sequence fact_generation_seq');
}
