import type { Book } from './book';
import { D, money, MONEY_SCALE, type Decimal } from './decimal';
import { daysBetween } from './dates';
import type { RiskAlert, RiskCheckName, RiskLive } from './risk';
import type {
  AssetClass,
  Direction,
  IsoDate,
  MarketSeriesPoint,
  Portfolio,
  RiskStatus,
  TradeProposal,
} from './types';
import { assertNever } from './types';

/*
 * The morning pack is stored in a jsonb column and served as stored, so every section is plain
 * JSON data: money is a string at the money scale (`"1234567.8900"`, src/domain/README.md), the
 * figures the book serves,, ratios and percentages are
 * numbers (`...Pct`: 1.23 means 1.23%; leverage in × AUM), optional fields are left out rather
 * than set to undefined. JSON.parse(JSON.stringify(pack)) deep-equals the pack.
 */

// ---------------------------------------------------------------------------------------------
// Input

export interface StalePrice {
  readonly ticker: string;
  /** Date of the latest price on record; null when the instrument has never been priced. */
  readonly lastPriceDate: IsoDate | null;
}

export interface MorningPackInput {
  readonly portfolio: Portfolio;
  readonly briefingDate: IsoDate;
  /** The book as of the briefing date. */
  readonly book: Book;
  /** Live risk as of the briefing date. */
  readonly risk: RiskLive;
  /** Proposals pending at the briefing time, whatever their date (created by then, not decided by then, not expired). */
  readonly pendingProposals: readonly TradeProposal[];
  readonly stalePrices: readonly StalePrice[];
  /** Latest values of the tracked series (SELIC, IPCA 12m, USDBRL, Fed funds, UST 10y, VIX...). */
  readonly marketSnapshot: readonly MarketSeriesPoint[];
  /** No source for these exists yet: they are always null and reported as unavailable. */
  readonly agentViews: null;
  readonly regime: null;
  readonly topSignals: null;
}

// ---------------------------------------------------------------------------------------------
// Sections

/** Most urgent first; action items are sorted in this order. */
export const ACTION_PRIORITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'] as const;
export type ActionPriority = (typeof ACTION_PRIORITIES)[number];

export const ACTION_CATEGORIES = ['RISK', 'PROPOSAL', 'DATA_QUALITY'] as const;
export type ActionCategory = (typeof ACTION_CATEGORIES)[number];

/** What an action item points at; only the keys that apply are present. */
export interface ActionItemRefs {
  readonly proposalId?: string;
  readonly ticker?: string;
  readonly check?: RiskCheckName;
}

export interface ActionItem {
  readonly priority: ActionPriority;
  readonly category: ActionCategory;
  readonly title: string;
  readonly detail: string;
  readonly refs?: ActionItemRefs;
}

export interface PendingProposalSummary {
  readonly proposalId: string;
  readonly ticker: string;
  readonly assetClass: AssetClass;
  readonly direction: Direction;
  /** BRL, at the money scale. */
  readonly suggestedNotionalBrl: string;
  /** 0..1 */
  readonly conviction: number;
  readonly signalSource: string;
  readonly isFlip: boolean;
  readonly strategyIds: readonly string[];
  readonly rationale: string;
}

export interface AssetClassState {
  readonly assetClass: AssetClass;
  readonly count: number;
  readonly grossNotionalBrl: string;
  readonly unrealizedPnlBrl: string;
}

/** The book summary at the briefing date; money in BRL (USD where named), at the money scale. */
export interface PortfolioStateSection {
  readonly asOf: IsoDate;
  readonly aumBrl: string;
  readonly grossExposureBrl: string;
  readonly netExposureBrl: string;
  readonly grossLeverage: number;
  readonly netLeverage: number;
  readonly openPositions: number;
  readonly unrealizedPnlBrl: string;
  readonly unrealizedPnlUsd: string;
  readonly realizedPnlBrl: string;
  readonly realizedPnlUsd: string;
  readonly pnlTodayBrl: string;
  readonly pnlMtdBrl: string;
  readonly pnlYtdBrl: string;
  readonly closedToday: number;
  readonly byAssetClass: readonly AssetClassState[];
}

export interface RiskAlertSummary {
  readonly check: RiskCheckName;
  readonly status: Exclude<RiskStatus, 'OK'>;
  readonly message: string;
  readonly value: number;
  readonly limit: number;
}

export interface RiskSummarySection {
  readonly asOf: IsoDate;
  /** Parametric VaR 95, % of AUM; null when unavailable. */
  readonly var95Pct: number | null;
  /** Parametric VaR 99, % of AUM; null when unavailable. */
  readonly var99Pct: number | null;
  /** Why VaR is null; null when it is available. */
  readonly varUnavailableReason: string | null;
  readonly grossLeverage: number;
  readonly netLeverage: number;
  /** Current drawdown from the high-water mark, % of AUM. */
  readonly drawdownPct: number;
  readonly maxDrawdownPct: number;
  readonly daysInDrawdown: number;
  readonly overallStatus: RiskStatus;
  readonly alerts: readonly RiskAlertSummary[];
}

export interface MarketSnapshotRow {
  readonly series: string;
  readonly date: IsoDate;
  readonly value: number;
}

/** A section whose data does not exist; the pack says so instead of inventing content. */
export interface UnavailableSection {
  readonly available: false;
  readonly reason: string;
}

export interface MorningPackSections {
  readonly portfolioId: string;
  readonly briefingDate: IsoDate;
  /** Sorted CRITICAL, HIGH, MEDIUM, LOW; within a priority: risk, proposals, data quality. */
  readonly actionItems: readonly ActionItem[];
  /** Highest conviction first. */
  readonly pendingProposals: readonly PendingProposalSummary[];
  readonly portfolioState: PortfolioStateSection;
  readonly riskSummary: RiskSummarySection;
  /** Latest point per series, in the order the series first appear in the input. */
  readonly marketSnapshot: readonly MarketSnapshotRow[];
  readonly agentViews: UnavailableSection;
  readonly regime: UnavailableSection;
  readonly topSignals: UnavailableSection;
  /** A templated paragraph built only from the sections above. */
  readonly narrative: string;
}

/** Conviction from which a (non-flip) proposal is HIGH priority. */
export const HIGH_CONVICTION = 0.8;

// ---------------------------------------------------------------------------------------------
// Build

export function buildMorningPack(input: MorningPackInput): MorningPackSections {
  const { portfolio, briefingDate, book, risk } = input;
  const pendingProposals = [...input.pendingProposals]
    .sort((a, b) => b.conviction - a.conviction || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map(summarizeProposal);
  const portfolioState = portfolioStateOf(book);
  const riskSummary = riskSummaryOf(risk);
  const marketSnapshot = latestPerSeries(input.marketSnapshot);

  const actionItems = sortByPriority([
    ...risk.alerts.map(alertAction),
    ...input.pendingProposals.map(proposalAction),
    ...input.stalePrices.map((s) => stalePriceAction(s, briefingDate)),
  ]);

  return {
    portfolioId: portfolio.id,
    briefingDate,
    actionItems,
    pendingProposals,
    portfolioState,
    riskSummary,
    marketSnapshot,
    agentViews: unavailable('No agent views are recorded for this date'),
    regime: unavailable('No market regime classification is recorded for this date'),
    topSignals: unavailable('No signal feed is recorded for this date'),
    narrative: narrative({
      portfolioName: portfolio.name,
      briefingDate,
      state: portfolioState,
      risk: riskSummary,
      proposals: pendingProposals,
      stalePrices: input.stalePrices,
    }),
  };
}

function unavailable(reason: string): UnavailableSection {
  return { available: false, reason };
}

/**
 * Money for a stored document: at the money scale the book's figures are stored and served at
 * (so a pack's totals are the book's, digit for digit), plain notation (never `1e+21`).
 */
function moneyText(value: Decimal): string {
  return money(value).toFixed(MONEY_SCALE);
}

function summarizeProposal(p: TradeProposal): PendingProposalSummary {
  return {
    proposalId: p.id,
    ticker: p.ticker,
    assetClass: p.assetClass,
    direction: p.direction,
    suggestedNotionalBrl: moneyText(p.suggestedNotionalBrl),
    conviction: p.conviction,
    signalSource: p.signalSource,
    isFlip: p.isFlip,
    strategyIds: [...p.strategyIds],
    rationale: p.rationale,
  };
}

function portfolioStateOf(book: Book): PortfolioStateSection {
  const s = book.summary;
  return {
    asOf: book.asOf,
    aumBrl: moneyText(s.aumBrl),
    grossExposureBrl: moneyText(s.grossExposureBrl),
    netExposureBrl: moneyText(s.netExposureBrl),
    grossLeverage: s.grossLeverage,
    netLeverage: s.netLeverage,
    openPositions: s.openPositions,
    unrealizedPnlBrl: moneyText(s.unrealizedPnlBrl),
    unrealizedPnlUsd: moneyText(s.unrealizedPnlUsd),
    realizedPnlBrl: moneyText(s.realizedPnlBrl),
    realizedPnlUsd: moneyText(s.realizedPnlUsd),
    pnlTodayBrl: moneyText(s.pnlTodayBrl),
    pnlMtdBrl: moneyText(s.pnlMtdBrl),
    pnlYtdBrl: moneyText(s.pnlYtdBrl),
    closedToday: s.closedToday,
    byAssetClass: book.byAssetClass.map((row) => ({
      assetClass: row.assetClass,
      count: row.count,
      grossNotionalBrl: moneyText(row.grossNotionalBrl),
      unrealizedPnlBrl: moneyText(row.unrealizedPnlBrl),
    })),
  };
}

function riskSummaryOf(risk: RiskLive): RiskSummarySection {
  return {
    asOf: risk.asOf,
    var95Pct: risk.var.parametric95Pct,
    var99Pct: risk.var.parametric99Pct,
    varUnavailableReason: risk.var.unavailableReason,
    grossLeverage: risk.leverage.gross,
    netLeverage: risk.leverage.net,
    drawdownPct: risk.drawdown.currentPct,
    maxDrawdownPct: risk.drawdown.maxPct,
    daysInDrawdown: risk.drawdown.daysInDrawdown,
    overallStatus: risk.overallStatus,
    alerts: risk.alerts.map((a) => ({
      check: a.check,
      status: a.status,
      message: a.message,
      value: a.value,
      limit: a.limit,
    })),
  };
}

function latestPerSeries(points: readonly MarketSeriesPoint[]): MarketSnapshotRow[] {
  const latest = new Map<string, MarketSnapshotRow>();
  for (const p of points) {
    const seen = latest.get(p.series);
    // Map keeps first-insertion order, so replacing a value does not move the series.
    if (seen === undefined || p.date > seen.date) latest.set(p.series, { series: p.series, date: p.date, value: p.value });
  }
  return [...latest.values()];
}

// ---------------------------------------------------------------------------------------------
// Action items

function alertAction(alert: RiskAlert): ActionItem {
  return {
    priority: alertPriority(alert.status),
    category: 'RISK',
    title: `Risk ${alert.status === 'BREACHED' ? 'limit breached' : 'warning'}: ${alert.check}`,
    detail: alert.message,
    refs: { check: alert.check },
  };
}

function alertPriority(status: RiskAlert['status']): ActionPriority {
  switch (status) {
    case 'BREACHED':
      return 'CRITICAL';
    case 'WARNING':
      return 'HIGH';
    default:
      return assertNever(status, 'alert status');
  }
}

function proposalAction(p: TradeProposal): ActionItem {
  // A flip reverses an open position, so it outranks any conviction level.
  const priority: ActionPriority = p.isFlip ? 'CRITICAL' : p.conviction >= HIGH_CONVICTION ? 'HIGH' : 'MEDIUM';
  const notional = formatBrl(p.suggestedNotionalBrl);
  const conviction = p.conviction.toFixed(2);
  return {
    priority,
    category: 'PROPOSAL',
    title: p.isFlip
      ? `Review flip proposal: ${p.direction} ${p.ticker}`
      : `Review proposal: ${p.direction} ${p.ticker}`,
    detail: p.isFlip
      ? `Flips the open ${opposite(p.direction)} position in ${p.ticker} to ${p.direction}, ` +
        `${notional}, conviction ${conviction} (${p.signalSource}).`
      : `${p.direction} ${p.ticker} ${notional}, conviction ${conviction} (${p.signalSource}).`,
    refs: { proposalId: p.id, ticker: p.ticker },
  };
}

function opposite(direction: Direction): Direction {
  switch (direction) {
    case 'LONG':
      return 'SHORT';
    case 'SHORT':
      return 'LONG';
    default:
      return assertNever(direction, 'direction');
  }
}

function stalePriceAction(stale: StalePrice, briefingDate: IsoDate): ActionItem {
  return {
    priority: 'LOW',
    category: 'DATA_QUALITY',
    title: `Stale price: ${stale.ticker}`,
    detail:
      stale.lastPriceDate === null
        ? `No price on record for ${stale.ticker}; positions are marked at their entry price.`
        : `Latest price for ${stale.ticker} is from ${stale.lastPriceDate}, ` +
          `${daysBetween(stale.lastPriceDate, briefingDate)} days before ${briefingDate}.`,
    refs: { ticker: stale.ticker },
  };
}

const PRIORITY_RANK: Readonly<Record<ActionPriority, number>> = { CRITICAL: 0, HIGH: 1, MEDIUM: 2, LOW: 3 };

/** Stable sort (ES2019+), so items keep their category order within a priority. */
function sortByPriority(items: readonly ActionItem[]): ActionItem[] {
  return [...items].sort((a, b) => PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority]);
}

// ---------------------------------------------------------------------------------------------
// Narrative

interface NarrativeFacts {
  readonly portfolioName: string;
  readonly briefingDate: IsoDate;
  readonly state: PortfolioStateSection;
  readonly risk: RiskSummarySection;
  readonly proposals: readonly PendingProposalSummary[];
  readonly stalePrices: readonly StalePrice[];
}

/** A paragraph of fixed sentences filled in with the pack's own figures, nothing else. */
function narrative(f: NarrativeFacts): string {
  const s = f.state;
  const sentences: string[] = [
    `${f.portfolioName} on ${f.briefingDate}: ${plural(s.openPositions, 'open position')}, ` +
      `gross exposure ${formatBrl(s.grossExposureBrl)} (${s.grossLeverage.toFixed(2)}x AUM) ` +
      `and net exposure ${formatBrl(s.netExposureBrl)} (${s.netLeverage.toFixed(2)}x AUM).`,
    `P&L today ${formatBrl(s.pnlTodayBrl)}, month to date ${formatBrl(s.pnlMtdBrl)}, ` +
      `year to date ${formatBrl(s.pnlYtdBrl)}.`,
    riskSentence(f.risk),
    f.risk.alerts.length === 0
      ? 'No risk alerts.'
      : `${plural(f.risk.alerts.length, 'risk alert')}: ${f.risk.alerts.map((a) => `${a.check} ${a.status}`).join(', ')}.`,
  ];
  const flips = f.proposals.filter((p) => p.isFlip).length;
  sentences.push(
    f.proposals.length === 0
      ? 'No proposals are pending review.'
      : `${plural(f.proposals.length, 'proposal')} pending review` +
          (flips > 0 ? `, ${plural(flips, 'flip')} among them.` : '.'),
  );
  if (f.stalePrices.length > 0) {
    sentences.push(`Stale prices: ${f.stalePrices.map((p) => p.ticker).join(', ')}.`);
  }
  return sentences.join(' ');
}

function riskSentence(r: RiskSummarySection): string {
  const varText =
    r.var95Pct === null || r.var99Pct === null
      ? `VaR unavailable (${r.varUnavailableReason ?? 'no estimate'})`
      : `parametric VaR ${r.var95Pct.toFixed(2)}% (95%) and ${r.var99Pct.toFixed(2)}% (99%) of AUM`;
  return `Risk status ${r.overallStatus}: ${varText}; drawdown ${r.drawdownPct.toFixed(2)}% of AUM.`;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/**
 * "BRL 1,234,567.89" from a Decimal or a money string, without going through a float: the
 * narrative is for people and shows cents; the sections keep the money scale.
 */
function formatBrl(value: Decimal | string): string {
  const text = new D(value).toFixed(2);
  const negative = text.startsWith('-');
  const [whole = '0', fraction = '00'] = (negative ? text.slice(1) : text).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}BRL ${grouped}.${fraction}`;
}
