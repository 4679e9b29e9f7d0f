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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Keys that cannot be ids of a uuid table are answered null without a query (and without a cast error). */
function uuidKeys<T extends { readonly id: string }>(fetch: (db: Knex, ids: readonly string[]) => Promise<readonly T[]>, db: Knex) {
  return (ids: readonly string[]) => {
    const valid = ids.filter((id) => UUID.test(id));
    return valid.length > 0 ? fetch(db, valid) : Promise.resolve([]);
  };
}

export function createLoaders(db: Knex): Loaders {
  return {
    portfolio: byId(uuidKeys(findPortfoliosByIds, db)),
    instrument: byId(uuidKeys(findInstrumentsByIds, db)),
    position: byId(uuidKeys(findPositionsByIds, db)),
    proposal: byId(uuidKeys(findProposalsByIds, db)),
    journalEntry: byId((ids) => {
      const valid = ids.filter((id) => /^\d{1,18}$/.test(id));
      return valid.length > 0 ? findJournalEntriesByIds(db, valid) : Promise.resolve([]);
    }),
  };
}
