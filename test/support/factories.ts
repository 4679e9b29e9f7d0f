import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { dec } from '../../src/domain/decimal';
import { costBpsFor } from '../../src/domain/pricing';
import type { AssetClass, Instrument, IsoDate, Portfolio, PriceConvention, Role } from '../../src/domain/types';
import { insertInstrument } from '../../src/data/instrument.repository';
import { upsertMarketPrices } from '../../src/data/market.repository';
import { insertPortfolio } from '../../src/data/portfolio.repository';
import { insertProposal } from '../../src/data/proposal.repository';
import type { Actor } from '../../src/services/access';
import type { CommittedChange, ServiceDeps } from '../../src/services/deps';
import { PortfolioDirectory } from '../../src/services/portfolios.service';
import type { Clock } from '../../src/domain/dates';

/**
 * Factories for integration tests: every call makes fresh rows with random codes and tickers, so
 * suites run in parallel on one database without seeing each other's data.
 */
export function uid(n = 4): string {
  return randomBytes(n).toString('hex').toUpperCase();
}

export function createPortfolio(db: Knex, overrides: Partial<Omit<Portfolio, 'id'>> = {}): Promise<Portfolio> {
  return insertPortfolio(db, {
    code: overrides.code ?? `TEST_${uid()}`,
    name: overrides.name ?? 'Test fund',
    baseCurrency: 'BRL',
    aumBrl: overrides.aumBrl ?? dec(100_000_000),
    inceptionDate: overrides.inceptionDate ?? '2026-01-02',
  });
}

/** `family` is the ticker prefix that drives cost bps and stress mapping (DI1, USDBRL, IBOV_FUT…). */
export function createInstrument(
  db: Knex,
  family: string,
  assetClass: AssetClass,
  priceConvention: PriceConvention = 'PRICE',
): Promise<Instrument> {
  const ticker = `${family}_T${uid()}`;
  return insertInstrument(db, {
    ticker,
    name: `${family} test instrument`,
    assetClass,
    priceConvention,
    costBps: costBpsFor(ticker),
  });
}

export async function addPrices(db: Knex, instrument: Instrument, closes: Record<IsoDate, string>): Promise<void> {
  await upsertMarketPrices(
    db,
    Object.entries(closes).map(([date, close]) => ({ instrumentId: instrument.id, date, close: dec(close) })),
  );
}

export function actor(role: Role, portfolios: readonly string[] | '*' = '*', id = `test.${role.toLowerCase()}`): Actor {
  return { id, role, portfolios };
}

/** Service dependencies whose change listener records each write's change once it has committed. */
export function recordingDeps(db: Knex, clock: Clock): ServiceDeps & { announced: CommittedChange[] } {
  const announced: CommittedChange[] = [];
  return {
    db,
    clock,
    portfolios: new PortfolioDirectory(db, clock),
    announced,
    changes: {
      record: (_trx, change) =>
        Promise.resolve(() => {
          announced.push(change);
          return Promise.resolve();
        }),
    },
  };
}

export async function createPendingProposal(
  db: Knex,
  portfolio: Portfolio,
  instrument: Instrument,
  overrides: { direction?: 'LONG' | 'SHORT'; notional?: string; conviction?: number; asOfDate?: IsoDate; isFlip?: boolean } = {},
): Promise<string> {
  return insertProposal(db, {
    portfolioId: portfolio.id,
    instrumentId: instrument.id,
    assetClass: instrument.assetClass,
    direction: overrides.direction ?? 'LONG',
    suggestedNotionalBrl: dec(overrides.notional ?? '5000000'),
    conviction: overrides.conviction ?? 0.7,
    signalSource: 'TEST_MODEL',
    strategyIds: ['FX_BR_01'],
    rationale: 'Test proposal',
    riskImpact: null,
    status: 'PENDING',
    asOfDate: overrides.asOfDate ?? '2026-11-20',
    isFlip: overrides.isFlip ?? false,
    reviewedBy: null,
    reviewedAt: null,
    executionPrice: null,
    executionNotionalBrl: null,
    notes: null,
    createdBy: 'test.factory',
    now: new Date(),
  });
}

export async function countRows(db: Knex, table: string, where: Record<string, unknown>): Promise<number> {
  const row = await db(table).where(where).count<{ count: string }[]>({ count: '*' }).first();
  return Number(row?.count ?? 0);
}
