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
 * an entity, builds none.
 */
export function createLoaders(db: Knex): Loaders {
  const lazy = <T>(build: () => T) => {
    let built: T | undefined;
    return () => (built ??= build());
  };
  const portfolio = lazy(() => byId((ids) => findPortfoliosByIds(db, ids)));
  const instrument = lazy(() => byId((ids) => findInstrumentsByIds(db, ids)));
  const position = lazy(() => byId((ids) => findPositionsByIds(db, ids)));
  const proposal = lazy(() => byId((ids) => findProposalsByIds(db, ids)));
  const journalEntry = lazy(() => byId((ids) => findJournalEntriesByIds(db, ids)));
  return {
    get portfolio() {
      return portfolio();
    },
    get instrument() {
      return instrument();
    },
    get position() {
      return position();
    },
    get proposal() {
      return proposal();
    },
    get journalEntry() {
      return journalEntry();
    },
  };
}
