import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { IdempotencyKeyReused, InvalidInput } from '../domain/errors';
import { canonicalJson } from '../domain/journal-hash';
import { claimIdempotencyKey, storeIdempotentResult } from '../data/idempotency.repository';
import type { Actor } from './access';
import type { ServiceDeps, WriteOperation } from './deps';

export interface WriteRequest {
  readonly actor: Actor;
  /** A key may only be replayed for the same operation. */
  readonly operation: WriteOperation;
  /** The call's arguments; a replay with other arguments is refused. */
  readonly args: unknown;
  readonly idempotencyKey?: string | null;
}

export interface WriteOutcome<R> {
  /** JSON-serializable result: what a replay of the same key returns. */
  readonly result: R;
  /** The portfolio the write changed, announced after commit; null when it changed nothing. */
  readonly changed: string | null;
}

const KEY_PATTERN = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * Runs one write as a unit: a single transaction, the idempotency key claimed inside it (so a
 * failed write releases the key with everything else), and the change announcement after commit.
 * A replay of a committed key returns the stored result and announces nothing. The announcement
 * is awaited: a write returns only after what depends on it has been invalidated.
 */
export async function runWrite<R>(
  deps: ServiceDeps,
  request: WriteRequest,
  work: (trx: Knex.Transaction, now: Date) => Promise<WriteOutcome<R>>,
): Promise<R> {
  const key = request.idempotencyKey ?? null;
  if (key !== null && !KEY_PATTERN.test(key)) {
    throw new InvalidInput('idempotencyKey', 'idempotencyKey must be 8–128 characters of [A-Za-z0-9._:-]');
  }
  const requestHash = createHash('sha256').update(request.operation).update(canonicalJson(request.args)).digest('hex');
  const now = deps.clock.now();
  const outcome = await deps.db.transaction(async (trx) => {
    if (key !== null) {
      const previous = await claimIdempotencyKey(trx, request.actor.id, key, request.operation, requestHash);
      if (previous) {
        if (previous.operation !== request.operation || previous.requestHash !== requestHash) {
          throw new IdempotencyKeyReused(key);
        }
        return { replayed: true as const, result: previous.result as R, changed: null };
      }
    }
    const done = await work(trx, now);
    if (key !== null) await storeIdempotentResult(trx, request.actor.id, key, done.result);
    return { replayed: false as const, ...done };
  });
  if (!outcome.replayed && outcome.changed !== null) {
    await deps.changes.committed({ operation: request.operation, portfolioId: outcome.changed });
  }
  return outcome.result;
}
