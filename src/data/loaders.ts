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

export function createLoaders(db: Knex): Loaders {
  return {
    // The repositories answer ids that cannot exist (not a uuid, not a sequence number) with no row.
    portfolio: byId((ids) => findPortfoliosByIds(db, ids)),
    instrument: byId((ids) => findInstrumentsByIds(db, ids)),
    position: byId((ids) => findPositionsByIds(db, ids)),
    proposal: byId((ids) => findProposalsByIds(db, ids)),
    journalEntry: byId((ids) => findJournalEntriesByIds(db, ids)),
  };
}
