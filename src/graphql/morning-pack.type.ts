import { Directive, Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { CACHE_TTL_SECONDS } from './cache-policy';
import { ActionCategoryEnum, ActionPriorityEnum, AssetClassEnum, DirectionEnum, RiskStatusEnum } from './enums';
import { RiskAlert } from './risk.type';
import { DateScalar } from './scalars/date.scalar';
import { DecimalScalar } from './scalars/decimal.scalar';

@ObjectType({ description: 'Something the desk should act on this morning, and what it points at.' })
export class ActionItem {
  @Field(() => ActionPriorityEnum)
  priority!: string;

  @Field(() => ActionCategoryEnum)
  category!: string;

  @Field(() => String)
  title!: string;

  @Field(() => String)
  detail!: string;

  @Field(() => ID, { nullable: true, description: 'PROPOSAL items: the proposal to review.' })
  proposalId!: string | null;

  @Field(() => String, { nullable: true, description: 'PROPOSAL and DATA_QUALITY items: the instrument.' })
  ticker!: string | null;

  @Field(() => String, { nullable: true, description: 'RISK items: the check in WARNING or BREACHED (as RiskAlert.check).' })
  check!: string | null;
}

@ObjectType({
  description:
    'A proposal pending at the briefing time, whatever its date (a Sunday pack lists Friday\'s proposals): created ' +
    'by then, not decided by then, not expired on the briefing date. As the pack recorded it.',
})
export class PendingProposalSummary {
  @Field(() => ID)
  proposalId!: string;

  @Field(() => String)
  ticker!: string;

  @Field(() => AssetClassEnum)
  assetClass!: string;

  @Field(() => DirectionEnum)
  direction!: string;

  @Field(() => DecimalScalar, { description: 'BRL, at 4 decimal places.' })
  suggestedNotionalBrl!: string;

  @Field(() => Float, { description: '0..1' })
  conviction!: number;

  @Field(() => String)
  signalSource!: string;

  @Field(() => Boolean, { description: 'True when the proposal reverses an open position.' })
  isFlip!: boolean;

  @Field(() => [String])
  strategyIds!: readonly string[];

  @Field(() => String)
  rationale!: string;
}

@ObjectType({ description: 'Exposure of one asset class in the portfolio state of a morning pack. Money in BRL, at 4 decimal places.' })
export class AssetClassState {
  @Field(() => AssetClassEnum)
  assetClass!: string;

  @Field(() => Int, { description: 'Number of open positions in the class.' })
  count!: number;

  @Field(() => DecimalScalar, { description: 'Σ |notional|, BRL.' })
  grossNotionalBrl!: string;

  @Field(() => DecimalScalar)
  unrealizedPnlBrl!: string;
}

@ObjectType({ description: 'The book summary at the briefing date, as the book serves it. Money in BRL (USD where named), at 4 decimal places.' })
export class PortfolioStateSection {
  @Field(() => DateScalar)
  asOf!: string;

  @Field(() => DecimalScalar)
  aumBrl!: string;

  @Field(() => DecimalScalar, { description: 'Σ |notional| of the open positions.' })
  grossExposureBrl!: string;

  @Field(() => DecimalScalar, { description: 'Long − short; negative when net short.' })
  netExposureBrl!: string;

  @Field(() => Float, { description: '× AUM.' })
  grossLeverage!: number;

  @Field(() => Float, { description: '× AUM, signed.' })
  netLeverage!: number;

  @Field(() => Int)
  openPositions!: number;

  @Field(() => DecimalScalar)
  unrealizedPnlBrl!: string;

  @Field(() => DecimalScalar)
  unrealizedPnlUsd!: string;

  @Field(() => DecimalScalar)
  realizedPnlBrl!: string;

  @Field(() => DecimalScalar)
  realizedPnlUsd!: string;

  @Field(() => DecimalScalar)
  pnlTodayBrl!: string;

  @Field(() => DecimalScalar)
  pnlMtdBrl!: string;

  @Field(() => DecimalScalar)
  pnlYtdBrl!: string;

  @Field(() => Int, { description: 'Positions closed on the briefing date.' })
  closedToday!: number;

  @Field(() => [AssetClassState])
  byAssetClass!: readonly AssetClassState[];
}

@ObjectType({ description: 'Live risk at the briefing date, in brief.' })
export class RiskSummarySection {
  @Field(() => DateScalar)
  asOf!: string;

  @Field(() => Float, { nullable: true, description: 'Parametric VaR 95, % of AUM; null when unavailable.' })
  var95Pct!: number | null;

  @Field(() => Float, { nullable: true, description: 'Parametric VaR 99, % of AUM; null when unavailable.' })
  var99Pct!: number | null;

  @Field(() => String, { nullable: true, description: 'Why VaR is null; null when it is available.' })
  varUnavailableReason!: string | null;

  @Field(() => Float, { description: '× AUM.' })
  grossLeverage!: number;

  @Field(() => Float, { description: '× AUM, signed.' })
  netLeverage!: number;

  @Field(() => Float, { description: 'Current drawdown from the high-water mark, % of AUM.' })
  drawdownPct!: number;

  @Field(() => Float, { description: 'Largest drawdown along the path, % of AUM.' })
  maxDrawdownPct!: number;

  @Field(() => Int, { description: 'Consecutive observations since the last peak.' })
  daysInDrawdown!: number;

  @Field(() => RiskStatusEnum)
  overallStatus!: string;

  @Field(() => [RiskAlert])
  alerts!: readonly RiskAlert[];
}

@ObjectType({ description: 'The latest value of a tracked macro series on or before the briefing date.' })
export class MarketSnapshotRow {
  @Field(() => String, { description: 'Series name, e.g. SELIC, IPCA_12M, USDBRL.' })
  series!: string;

  @Field(() => DateScalar, { description: 'Date of the observation.' })
  date!: string;

  @Field(() => Float, { description: "In the series' own unit (a rate in % for SELIC, BRL per USD for USDBRL)." })
  value!: number;
}

@ObjectType({ description: 'A section whose data does not exist; the pack says so instead of inventing content.' })
export class UnavailableSection {
  @Field(() => Boolean, { description: 'Always false for now.' })
  available!: boolean;

  @Field(() => String)
  reason!: string;
}

@Directive(`@cached(ttl: ${CACHE_TTL_SECONDS.MorningPack})`)
@ObjectType({ description: 'The stored morning briefing of a portfolio for one business date, served as generated.' })
export class MorningPack {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  portfolioId!: string;

  @Field(() => DateScalar)
  briefingDate!: string;

  @Field(() => Date)
  generatedAt!: Date;

  @Field(() => String, { description: 'The user who generated it.' })
  generatedBy!: string;

  @Field(() => [ActionItem], { description: 'CRITICAL first; within a priority: risk, proposals, data quality.' })
  actionItems!: readonly ActionItem[];

  @Field(() => [PendingProposalSummary], { description: 'Every proposal pending at the briefing time, whatever its date; highest conviction first.' })
  pendingProposals!: readonly PendingProposalSummary[];

  @Field(() => PortfolioStateSection)
  portfolioState!: PortfolioStateSection;

  @Field(() => RiskSummarySection)
  riskSummary!: RiskSummarySection;

  @Field(() => [MarketSnapshotRow], { description: 'Latest point per tracked series.' })
  marketSnapshot!: readonly MarketSnapshotRow[];

  @Field(() => UnavailableSection)
  agentViews!: UnavailableSection;

  @Field(() => UnavailableSection)
  regime!: UnavailableSection;

  @Field(() => UnavailableSection)
  topSignals!: UnavailableSection;

  @Field(() => String, { description: "A templated paragraph built only from the pack's own figures." })
  narrative!: string;
}
