import DataLoader from 'dataloader';
import type { Knex } from 'knex';
import type { Instrument, JournalEntry, Portfolio, Position, TradeProposal } from '../domain/types';
import { findInstrumentsByIds } from './instrument.repository';
import { findJournalEntriesByIds } from './journal.repository';
import { findPortfoliosByIds } from './portfolio.repository';
import { findPositionsByIds } from './position.repository';
import { findProposalsByIds } from './proposal.repository';

/**
 * One loader per entity, built per request (never shared: a loader caches for its lifetime, and
 * one request must not see another's writes late or its entitlements). Each batch is one
 * `whereIn` query; results come back in key order, null where a key has no row.
 */
export interface Loaders {
  readonly portfolio: DataLoader<string, Portfolio | null>;
  readonly instrument: DataLoader<string, Instrument | null>;
  readonly position: DataLoader<string, Position | null>;
  readonly proposal: DataLoader<string, TradeProposal | null>;
  readonly journalEntry: DataLoader<string, JournalEntry | null>;
}

function byId<T extends { readonly id: string }>(
  fetch: (ids: readonly string[]) => Promise<readonly T[]>,
): DataLoader<string, T | null> {
  return new DataLoader<string, T | null>(async (keys) => {
    const found = new Map((await fetch(keys)).map((row) => [row.id, row]));
    return keys.map((k) => found.get(k) ?? null);
  });
}

/**
 * Each loader is built on first use: a request answered from the cache, or one that never touches
 * an entity, builds none. One object per request (getters on the prototype, no closures), since
 * every request makes one, the trivial ones included.
 */
class RequestLoaders implements Loaders {
  #portfolio: DataLoader<string, Portfolio | null> | undefined;
  #instrument: DataLoader<string, Instrument | null> | undefined;
  #position: DataLoader<string, Position | null> | undefined;
  #proposal: DataLoader<string, TradeProposal | null> | undefined;
  #journalEntry: DataLoader<string, JournalEntry | null> | undefined;

  constructor(private readonly db: Knex) {}

  get portfolio(): DataLoader<string, Portfolio | null> {
    return (this.#portfolio ??= byId((ids) => findPortfoliosByIds(this.db, ids)));
  }

  get instrument(): DataLoader<string, Instrument | null> {
    return (this.#instrument ??= byId((ids) => findInstrumentsByIds(this.db, ids)));
  }

  get position(): DataLoader<string, Position | null> {
    return (this.#position ??= byId((ids) => findPositionsByIds(this.db, ids)));
  }

  get proposal(): DataLoader<string, TradeProposal | null> {
    return (this.#proposal ??= byId((ids) => findProposalsByIds(this.db, ids)));
  }

  get journalEntry(): DataLoader<string, JournalEntry | null> {
    return (this.#journalEntry ??= byId((ids) => findJournalEntriesByIds(this.db, ids)));
  }
}

export function createLoaders(db: Knex): Loaders {
  return new RequestLoaders(db);
}
