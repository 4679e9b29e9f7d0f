import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { IdempotencyKeyReused, InvalidInput } from '../domain/errors';
import { claimIdempotencyKey, storeIdempotentResult } from '../data/idempotency.repository';
import { canonicalJson } from '../shared/canonical-json';
import type { Actor } from './access';
import type { ServiceDeps, WriteOperation } from './deps';

export interface WriteRequest {
  readonly actor: Actor;
  /** A key may only be replayed for the same operation. */
  readonly operation: WriteOperation;
  /** The call's arguments; a replay with other arguments is refused. */
  readonly args: unknown;
  readonly idempotencyKey?: string | null;
  /**
   * The caller's right to what the write is about (its portfolio, position or proposal), run
   * before a stored result is replayed: a replay is authorized like a first call and refused with
   * the same error, so a key never hands a result to a caller who may no longer touch its subject
   * (the same `sub` with a token for another fund). A first call authorizes inside its work.
   */
  readonly authorize: (trx: Knex.Transaction) => Promise<unknown>;
}

export interface WriteOutcome<R> {
  /** JSON-serializable result: what a replay of the same key returns. */
  readonly result: R;
  /** The portfolio the write changed, announced after commit; null when it changed nothing. */
  readonly changed: string | null;
}

const KEY_PATTERN = /^[A-Za-z0-9._:-]{8,128}$/;

/** Postgres's deadlock and serialization failures: the transaction was rolled back and may run again. */
const RETRYABLE_CODES = new Set(['40P01', '40001']);
/** Attempts of one write in all, when Postgres rolled back the previous ones as retryable. */
const MAX_ATTEMPTS = 3;

function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && RETRYABLE_CODES.has(code);
}

/**
 * Runs one write as a unit: a single transaction, the idempotency key claimed inside it (so a
 * failed write releases the key with everything else), the change recorded inside it by the
 * listener (so what the cache must invalidate commits with the data), and the listener's work
 * after commit. A replay of a committed key is authorized again, then returns the stored result
 * and records nothing: the first run's record committed with it. The work after commit is awaited: a write returns only
 * after what depends on it has been invalidated. A deadlock or serialization failure rolls the
 * transaction back whole, and the write runs again, at most MAX_ATTEMPTS times in all.
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
  const attempt = () => deps.db.transaction(async (trx) => {
    if (key !== null) {
      const previous = await claimIdempotencyKey(trx, request.actor.id, key, request.operation, requestHash);
      if (previous) {
        await request.authorize(trx);
        if (previous.operation !== request.operation || previous.requestHash !== requestHash) {
          throw new IdempotencyKeyReused(key);
        }
        return { result: previous.result as R, afterCommit: null };
      }
    }
    const done = await work(trx, now);
    if (key !== null) await storeIdempotentResult(trx, request.actor.id, key, done.result);
    const afterCommit = done.changed === null ? null : await deps.changes.record(trx, { operation: request.operation, portfolioId: done.changed });
    return { result: done.result, afterCommit };
  });
  for (let attempts = 1; ; attempts++) {
    let outcome;
    try {
      outcome = await attempt();
    } catch (error) {
      if (attempts < MAX_ATTEMPTS && isRetryable(error)) continue;
      throw error;
    }
    if (outcome.afterCommit !== null) await outcome.afterCommit();
    return outcome.result;
  }
}
