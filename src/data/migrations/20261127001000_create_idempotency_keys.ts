import type { Knex } from 'knex';

/**
 * Idempotency of writes: the key is inserted in the write's own transaction, so a concurrent retry
 * blocks on the unique key until the first commits, then finds the stored result.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('idempotency_keys', (t) => {
    t.text('key').notNullable();
    t.text('actor').notNullable();
    t.text('operation').notNullable();
    t.specificType('request_hash', 'char(64)').notNullable();
    t.jsonb('result').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['actor', 'key'], { constraintName: 'pk_idempotency_keys' });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('idempotency_keys');
}
