import type { Knex } from 'knex';
import type { Clock } from '../domain/dates';
import type { PortfolioDirectory } from './portfolios.service';

/**
 * The per-request DataLoaders through which resolvers read entities by id (the server builds one
 * set per request). Re-exported here so that graphql depends on services, never on data.
 */
export type { Loaders } from '../data/loaders';

/**
 * A write, told to the listener inside its transaction: which operation, on which portfolio.
 * What depends on it (cached books, risk, attribution, packs) is the listener's business: the
 * cache policy maps each operation to the facts it changes.
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

/** What to run once the write has committed, before it is acknowledged. */
export type AfterCommit = () => Promise<void>;

/** Told about changes; the cache implements it, the default does nothing. */
export interface ChangeListener {
  /**
   * Inside the write's transaction, once its work is done: what the listener writes there commits
   * if and only if the write does (the cache records the new generations of the facts changed).
   * Returns what to run after the commit; the write is acknowledged once that has settled.
   */
  record(trx: Knex.Transaction, change: CommittedChange): Promise<AfterCommit>;
}

const nothingAfter: AfterCommit = () => Promise.resolve();
export const noChangeListener: ChangeListener = { record: () => Promise.resolve(nothingAfter) };

export interface ServiceDeps {
  readonly db: Knex;
  readonly clock: Clock;
  readonly changes: ChangeListener;
  /** The portfolios this gateway remembers, on its clock (every read resolves one first). */
  readonly portfolios: PortfolioDirectory;
}

/** What a read needs: no change listener. */
export type ReadDeps = Pick<ServiceDeps, 'db' | 'clock' | 'portfolios'>;
