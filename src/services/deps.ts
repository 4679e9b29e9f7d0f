import type { Knex } from 'knex';
import type { Clock } from '../domain/dates';

/**
 * A committed write, announced after its transaction commits: which operation, on which
 * portfolio. What depends on it (cached books, risk, attribution, packs) is the listener's
 * business: the cache policy maps each operation to the facts it changes.
 */
export interface CommittedChange {
  readonly operation: WriteOperation;
  readonly portfolioId: string;
}

export const WRITE_OPERATIONS = [
  'openPosition', 'closePosition', 'recordOutcome', 'markToMarket', 'approveProposal',
  'modifyAndApproveProposal', 'rejectProposal', 'generateProposals', 'generateMorningPack',
] as const;
export type WriteOperation = (typeof WRITE_OPERATIONS)[number];

/** Told about committed changes; the cache implements it, the default does nothing. */
export interface ChangeListener {
  committed(change: CommittedChange): Promise<void>;
}

export const noChangeListener: ChangeListener = { committed: () => Promise.resolve() };

export interface ServiceDeps {
  readonly db: Knex;
  readonly clock: Clock;
  readonly changes: ChangeListener;
}
