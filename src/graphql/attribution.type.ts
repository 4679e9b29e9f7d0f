import { Directive, Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { CACHE_TTL_SECONDS } from './cache-policy';
import type { Decimal } from '../domain/decimal';
import {
  AssetClassEnum, AttributionPeriodEnum, DirectionEnum, FactorTagEnum, TimeBucketGranularityEnum, TradeTypeEnum,
} from './enums';
import { DateScalar } from './scalars/date.scalar';
import { DecimalScalar } from './scalars/decimal.scalar';

const CONTRIBUTION = 'P&L / AUM, % of AUM.';

@ObjectType({ description: 'The inclusive date range an attribution covers.' })
export class AttributionRange {
  @Field(() => AttributionPeriodEnum)
  period!: string;

  @Field(() => DateScalar, { description: 'First day, inclusive.' })
  start!: string;

  @Field(() => DateScalar, { description: 'Last day, inclusive.' })
  end!: string;

  @Field(() => String, { description: 'Canonical key PERIOD:start:end, e.g. MTD:2026-11-01:2026-11-27.' })
  key!: string;
}

@ObjectType({ description: "P&L of a strategy: each position's P&L split by its strategy weights (else equally)." })
export class StrategyAttribution {
  @Field(() => String, { description: 'Strategy id; UNASSIGNED for positions without any.' })
  strategyId!: string;

  @Field(() => FactorTagEnum)
  factor!: string;

  @Field(() => DecimalScalar)
  pnlBrl!: Decimal;

  @Field(() => Float, { description: CONTRIBUTION })
  contributionPct!: number;

  @Field(() => Int, { description: 'Positions with a share in the strategy.' })
  tradesCount!: number;

  @Field(() => Float, { description: '% of those positions whose whole P&L in the period is positive.' })
  winRatePct!: number;
}

@ObjectType({ description: 'P&L of an asset class in the period.' })
export class AssetClassAttribution {
  @Field(() => AssetClassEnum)
  assetClass!: string;

  @Field(() => DecimalScalar)
  pnlBrl!: Decimal;

  @Field(() => Float, { description: CONTRIBUTION })
  contributionPct!: number;

  @Field(() => Int)
  positionsCount!: number;
}

@ObjectType({ description: 'P&L of one position in the period.' })
export class InstrumentAttribution {
  @Field(() => ID)
  positionId!: string;

  @Field(() => String)
  ticker!: string;

  @Field(() => AssetClassEnum)
  assetClass!: string;

  @Field(() => DirectionEnum)
  direction!: string;

  @Field(() => DecimalScalar)
  notionalBrl!: Decimal;

  @Field(() => DecimalScalar)
  pnlBrl!: Decimal;

  @Field(() => Float, { description: CONTRIBUTION })
  contributionPct!: number;

  @Field(() => Float, { description: "P&L / the position's own notional, %." })
  returnOnNotionalPct!: number;

  @Field(() => Int, { description: 'Calendar days from entry to its close when it closed within the range, else to the end of the range: a close after the range is not revealed.' })
  holdingDays!: number;

  @Field(() => TradeTypeEnum)
  tradeType!: string;
}

@ObjectType({ description: 'P&L of a factor: the strategy rows regrouped by the factor each harvests.' })
export class FactorAttribution {
  @Field(() => FactorTagEnum)
  factor!: string;

  @Field(() => DecimalScalar)
  pnlBrl!: Decimal;

  @Field(() => Float, { description: CONTRIBUTION })
  contributionPct!: number;

  @Field(() => [String])
  strategyIds!: string[];
}

@ObjectType({ description: 'P&L of a week or month of the range, clipped to it.' })
export class TimeBucketAttribution {
  @Field(() => DateScalar)
  start!: string;

  @Field(() => DateScalar)
  end!: string;

  @Field(() => DecimalScalar)
  pnlBrl!: Decimal;

  @Field(() => DecimalScalar, { description: 'Σ P&L of this and every earlier bucket of the range, BRL.' })
  cumulativePnlBrl!: Decimal;

  @Field(() => Float, { description: CONTRIBUTION })
  contributionPct!: number;
}

@ObjectType({ description: 'P&L of the systematic or discretionary positions.' })
export class TradeTypeAttribution {
  @Field(() => TradeTypeEnum)
  tradeType!: string;

  @Field(() => DecimalScalar)
  pnlBrl!: Decimal;

  @Field(() => Float, { description: CONTRIBUTION })
  contributionPct!: number;

  @Field(() => Int)
  positionsCount!: number;
}

@ObjectType({ description: "Statistics of the portfolio's daily returns on AUM in the range (risk-free rate 0, 252 days a year)." })
export class PerformanceStats {
  @Field(() => Int, { description: 'Dates with P&L in the range.' })
  observations!: number;

  @Field(() => Float, { description: 'Mean daily return × 252, %; 0 without observations.' })
  annualizedReturnPct!: number;

  @Field(() => Float, { description: 'Sample std of daily returns × √252, %; 0 below 2 observations.' })
  annualizedVolatilityPct!: number;

  @Field(() => Float, { nullable: true, description: 'Annualized return / volatility; null when volatility is 0 or below 2 observations.' })
  sharpe!: number | null;

  @Field(() => Float, { nullable: true, description: 'Annualized return / downside deviation; null when that is 0 or below 2 observations.' })
  sortino!: number | null;

  @Field(() => Float, { description: 'Largest fall of equity (AUM + cumulative P&L) from its peak, % of the peak.' })
  maxDrawdownPct!: number;

  @Field(() => Float, { nullable: true, description: '% of days with positive P&L; null without observations.' })
  winRatePct!: number | null;

  @Field(() => Float, { nullable: true, description: 'Σ gains / |Σ losses| over days; null when no day lost.' })
  profitFactor!: number | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'Mean P&L of the winning days, BRL; null when none.' })
  averageWinBrl!: Decimal | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'Mean P&L of the losing days, BRL (negative); null when none.' })
  averageLossBrl!: Decimal | null;
}

@Directive(`@cached(ttl: ${CACHE_TTL_SECONDS.Attribution})`)
@ObjectType({
  description:
    'P&L of a period broken down by strategy, asset class, instrument, factor, time bucket and trade type. Every ' +
    'breakdown sums exactly to totalPnlBrl. Money in BRL; contributions and returns in % of AUM.',
})
export class Attribution {
  @Field(() => ID)
  portfolioId!: string;

  @Field(() => AttributionRange)
  range!: AttributionRange;

  @Field(() => DecimalScalar)
  aumBrl!: Decimal;

  @Field(() => DecimalScalar, { description: 'Σ daily P&L in the range; realized P&L enters on the close day.' })
  totalPnlBrl!: Decimal;

  @Field(() => Float, { description: 'Total P&L / AUM, % of AUM.' })
  totalReturnPct!: number;

  @Field(() => [StrategyAttribution], { description: 'By strategy id, alphabetical.' })
  byStrategy!: StrategyAttribution[];

  @Field(() => [AssetClassAttribution], { description: 'Asset classes present, in AssetClass order.' })
  byAssetClass!: AssetClassAttribution[];

  @Field(() => [InstrumentAttribution], { description: 'One row per position, best P&L first.' })
  byInstrument!: InstrumentAttribution[];

  @Field(() => [FactorAttribution], { description: 'Factors present, in FactorTag order.' })
  byFactor!: FactorAttribution[];

  @Field(() => TimeBucketGranularityEnum)
  timeBucketGranularity!: string;

  @Field(() => [TimeBucketAttribution], { description: 'Every bucket of the range in date order, including those without P&L.' })
  byTimeBucket!: TimeBucketAttribution[];

  @Field(() => [TradeTypeAttribution], { description: 'Both trade types, SYSTEMATIC then DISCRETIONARY.' })
  byTradeType!: TradeTypeAttribution[];

  @Field(() => PerformanceStats)
  stats!: PerformanceStats;
}

@ObjectType({ description: 'One day of the equity curve: equity is AUM + cumulative P&L since the start of the range.' })
export class EquityPoint {
  @Field(() => DateScalar)
  date!: string;

  @Field(() => DecimalScalar, { description: 'P&L of the day, BRL.' })
  pnlBrl!: Decimal;

  @Field(() => DecimalScalar, { description: 'AUM + cumulative P&L since the start of the range, BRL.' })
  equityBrl!: Decimal;

  @Field(() => Float, { description: 'P&L of the day / AUM, % of AUM (daily returns add up to the cumulative one).' })
  dailyReturnPct!: number;

  @Field(() => Float, { description: 'Cumulative P&L / AUM, % of AUM.' })
  cumulativeReturnPct!: number;

  @Field(() => Float, { description: '(Peak equity − equity) / peak equity, % of the peak; the peak starts at AUM.' })
  drawdownPct!: number;
}
