import type { Knex } from 'knex';
import type { Row } from './rows';

export interface IdempotencyRecord {
  readonly operation: string;
  readonly requestHash: string;
  readonly result: unknown;
}

/**
 * Claims `key` for this transaction. Returns null when the key is new (the caller goes on and
 * later calls `storeIdempotentResult`), or the stored record of the first call. A concurrent
 * claim of the same key waits on the primary key until the first transaction ends.
 */
export async function claimIdempotencyKey(
  trx: Knex.Transaction,
  actor: string,
  key: string,
  operation: string,
  requestHash: string,
): Promise<IdempotencyRecord | null> {
  const inserted = await trx('idempotency_keys')
    .insert({ actor, key, operation, request_hash: requestHash, result: JSON.stringify(null) })
    .onConflict(['actor', 'key'])
    .ignore()
    .returning('key');
  if (inserted.length > 0) return null;
  const row = (await trx('idempotency_keys').select('operation', 'request_hash', 'result').where({ actor, key }).first()) as Row;
  return {
    operation: String(row.operation),
    requestHash: String(row.request_hash).trim(),
    result: typeof row.result === 'string' ? JSON.parse(row.result) : row.result,
  };
}

export async function storeIdempotentResult(trx: Knex, actor: string, key: string, result: unknown): Promise<void> {
  await trx('idempotency_keys').where({ actor, key }).update({ result: JSON.stringify(result) });
}
