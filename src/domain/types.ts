import type { Decimal } from './decimal';
import type { IsoDate } from './dates';

export type { IsoDate } from './dates';

export const DIRECTIONS = ['LONG', 'SHORT'] as const;
export type Direction = (typeof DIRECTIONS)[number];

export const ASSET_CLASSES = [
  'RATES', 'FX', 'INFLATION', 'SOVEREIGN', 'CREDIT', 'EQUITY', 'CUPOM', 'CROSS_ASSET',
] as const;
export type AssetClass = (typeof ASSET_CLASSES)[number];

export const PRICE_CONVENTIONS = ['PU', 'SPOT', 'PRICE', 'SPREAD_BPS'] as const;
export type PriceConvention = (typeof PRICE_CONVENTIONS)[number];

export const PROPOSAL_STATUSES = ['PENDING', 'APPROVED', 'REJECTED', 'MODIFIED', 'EXPIRED'] as const;
export type ProposalStatus = (typeof PROPOSAL_STATUSES)[number];

export const JOURNAL_ENTRY_TYPES = ['OPEN', 'CLOSE', 'REJECT', 'MODIFY', 'NOTE', 'SYSTEM_EVENT'] as const;
export type JournalEntryType = (typeof JOURNAL_ENTRY_TYPES)[number];

export const ROLES = ['VIEWER', 'MANAGER', 'RISK_OFFICER', 'ADMIN'] as const;
export type Role = (typeof ROLES)[number];

export const RISK_STATUSES = ['OK', 'WARNING', 'BREACHED'] as const;
export type RiskStatus = (typeof RISK_STATUSES)[number];

export function assertNever(value: never, what = 'value'): never {
  throw new Error(`Unexpected ${what}: ${JSON.stringify(value)}`);
}

export interface Portfolio {
  readonly id: string;
  readonly code: string;
  readonly name: string;
  readonly baseCurrency: string;
  readonly aumBrl: Decimal;
  readonly inceptionDate: IsoDate;
}

export interface Instrument {
  readonly id: string;
  readonly ticker: string;
  readonly name: string;
  readonly assetClass: AssetClass;
  readonly priceConvention: PriceConvention;
  /** Cost per side in basis points of notional. */
  readonly costBps: Decimal;
}

export interface MarketPrice {
  readonly instrumentId: string;
  readonly date: IsoDate;
  readonly close: Decimal;
}

export interface Position {
  readonly id: string;
  readonly portfolioId: string;
  readonly instrumentId: string;
  /** Denormalized from the instrument (joined by the repository) so the math needs no lookup. */
  readonly ticker: string;
  readonly assetClass: AssetClass;
  readonly direction: Direction;
  /** The size of the position, always positive; the sign comes from `direction`. */
  readonly notionalBrl: Decimal;
  readonly quantity: Decimal | null;
  readonly entryPrice: Decimal;
  readonly entryDate: IsoDate;
  /** BRL per USD at entry. */
  readonly entryFxRate: Decimal;
  readonly currentPrice: Decimal;
  readonly lastMarkDate: IsoDate | null;
  readonly unrealizedPnlBrl: Decimal;
  readonly unrealizedPnlUsd: Decimal;
  readonly realizedPnlBrl: Decimal;
  readonly realizedPnlUsd: Decimal;
  /** Costs charged so far: entry, plus exit once closed. */
  readonly transactionCostBrl: Decimal;
  readonly isOpen: boolean;
  readonly closedAt: IsoDate | null;
  readonly closePrice: Decimal | null;
  /** RATES only: the traded rate in % a.a. and business days to maturity. */
  readonly ratePct: Decimal | null;
  readonly businessDays: number | null;
  readonly strategyIds: readonly string[];
  /** Weights by strategy id; normalized where used. */
  readonly strategyWeights: Readonly<Record<string, number>> | null;
  /** The proposal the position was opened from; discretionary opens get one born APPROVED. */
  readonly proposalId: string | null;
  readonly notes: string | null;
  readonly version: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface PnlSnapshot {
  readonly id: string;
  readonly date: IsoDate;
  readonly positionId: string;
  readonly portfolioId: string;
  readonly markPrice: Decimal;
  readonly unrealizedPnlBrl: Decimal;
  readonly unrealizedPnlUsd: Decimal;
  readonly dailyPnlBrl: Decimal;
  readonly dailyPnlUsd: Decimal;
  readonly realizedPnlBrl: Decimal;
  readonly fxRate: Decimal;
  readonly isManualOverride: boolean;
}

export interface RiskImpact {
  readonly grossLeverageBefore: number;
  readonly grossLeverageAfter: number;
  readonly assetClassWeightAfter: number;
}

export interface TradeProposal {
  readonly id: string;
  readonly portfolioId: string;
  readonly instrumentId: string;
  readonly ticker: string;
  readonly assetClass: AssetClass;
  readonly direction: Direction;
  readonly suggestedNotionalBrl: Decimal;
  /** 0..1 */
  readonly conviction: number;
  readonly signalSource: string;
  readonly strategyIds: readonly string[];
  readonly rationale: string;
  readonly riskImpact: RiskImpact | null;
  readonly status: ProposalStatus;
  readonly asOfDate: IsoDate;
  readonly isFlip: boolean;
  readonly reviewedBy: string | null;
  readonly reviewedAt: Date | null;
  readonly executionPrice: Decimal | null;
  readonly executionNotionalBrl: Decimal | null;
  readonly positionId: string | null;
  readonly notes: string | null;
  readonly version: number;
  readonly createdAt: Date;
  /** Who created it (the acting user of openPosition or generateProposals); null before it was recorded. */
  readonly createdBy: string | null;
}

export interface JournalEntry {
  /** Monotonic sequence number, as a string (bigint). */
  readonly id: string;
  readonly portfolioId: string;
  readonly type: JournalEntryType;
  readonly positionId: string | null;
  readonly proposalId: string | null;
  readonly instrumentId: string | null;
  readonly direction: Direction | null;
  readonly notionalBrl: Decimal | null;
  readonly price: Decimal | null;
  readonly managerNotes: string | null;
  readonly systemNotes: string | null;
  readonly actor: string;
  readonly contentHash: string;
  readonly previousHash: string | null;
  readonly createdAt: Date;
}

export interface RiskSnapshot {
  readonly portfolioId: string;
  readonly date: IsoDate;
  readonly var95: number | null;
  readonly var99: number | null;
  readonly grossLeverage: number;
  readonly drawdownPct: number;
  readonly alertCount: number;
  readonly overallStatus: RiskStatus;
}

/** One observation of a tracked macro series (SELIC, IPCA 12m, USDBRL, ...). */
export interface MarketSeriesPoint {
  readonly series: string;
  readonly date: IsoDate;
  readonly value: number;
}

/** Daily P&L of a whole portfolio: Σ dailyPnlBrl of its snapshots on one date. */
export interface DailyPnl {
  readonly date: IsoDate;
  readonly pnlBrl: Decimal;
}
