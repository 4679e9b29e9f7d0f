import type { Knex } from 'knex';
import * as portfolios from './20261127000100_create_portfolios';
import * as instruments from './20261127000200_create_instruments';
import * as marketData from './20261127000300_create_market_data';
import * as tradeProposals from './20261127000400_create_trade_proposals';
import * as positions from './20261127000500_create_positions';
import * as pnlSnapshots from './20261127000600_create_pnl_snapshots';
import * as journalEntries from './20261127000700_create_journal_entries';
import * as morningPacks from './20261127000800_create_morning_packs';
import * as riskSnapshots from './20261127000900_create_risk_snapshots';
import * as idempotencyKeys from './20261127001000_create_idempotency_keys';
import * as factGenerations from './20261206000100_create_fact_generations';
import * as proposalCreators from './20261208000100_add_trade_proposals_created_by';
import * as journalMacs from './20261209000100_add_journal_macs';

type Migration = Knex.Migration;

/**
 * Migrations are imported, not discovered on disk: the same list works from ts sources (tests)
 * and from compiled JavaScript (npm start), and a missing file is a compile error.
 */
const MIGRATIONS: ReadonlyArray<readonly [string, Migration]> = [
  ['20261127000100_create_portfolios', portfolios],
  ['20261127000200_create_instruments', instruments],
  ['20261127000300_create_market_data', marketData],
  ['20261127000400_create_trade_proposals', tradeProposals],
  ['20261127000500_create_positions', positions],
  ['20261127000600_create_pnl_snapshots', pnlSnapshots],
  ['20261127000700_create_journal_entries', journalEntries],
  ['20261127000800_create_morning_packs', morningPacks],
  ['20261127000900_create_risk_snapshots', riskSnapshots],
  ['20261127001000_create_idempotency_keys', idempotencyKeys],
  ['20261206000100_create_fact_generations', factGenerations],
  ['20261208000100_add_trade_proposals_created_by', proposalCreators],
  ['20261209000100_add_journal_macs', journalMacs],
];

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: () => Promise.resolve(MIGRATIONS.map(([name]) => name)),
  getMigrationName: (name) => name,
  getMigration: (name) => {
    const found = MIGRATIONS.find(([n]) => n === name);
    if (!found) return Promise.reject(new Error(`Unknown migration ${name}`));
    return Promise.resolve(found[1]);
  },
};
