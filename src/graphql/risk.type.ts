import { Directive, Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { CACHE_TTL_SECONDS } from './cache-policy';
import type { Decimal } from '../domain/decimal';
import { AssetClassEnum, RiskStatusEnum, StressMethodEnum } from './enums';
import { DateScalar } from './scalars/date.scalar';
import { DecimalScalar } from './scalars/decimal.scalar';

@ObjectType({
  description:
    'Value at risk as a loss in % of AUM (positive = loss), from the daily P&L up to asOf. Every figure is null ' +
    'below 20 daily observations, and unavailableReason says why.',
})
export class ValueAtRisk {
  @Field(() => Int, { description: 'Daily observations (distinct dates up to asOf) the estimates use.' })
  observations!: number;

  @Field(() => Float, { nullable: true, description: 'Parametric (normal) VaR 95, % of AUM.' })
  parametric95Pct!: number | null;

  @Field(() => Float, { nullable: true, description: 'Parametric (normal) VaR 99, % of AUM.' })
  parametric99Pct!: number | null;

  @Field(() => Float, { nullable: true, description: 'Loss at the empirical 5% quantile, % of AUM; 0 when that day is a gain.' })
  historical95Pct!: number | null;

  @Field(() => Float, { nullable: true, description: 'Loss at the empirical 1% quantile, % of AUM; 0 when that day is a gain.' })
  historical99Pct!: number | null;

  @Field(() => Float, { nullable: true, description: 'Expected shortfall: mean loss of the worst 5% of days, % of AUM.' })
  cvar95Pct!: number | null;

  @Field(() => Float, { nullable: true, description: 'Expected shortfall: mean loss of the worst 1% of days, % of AUM.' })
  cvar99Pct!: number | null;

  @Field(() => String, { nullable: true, description: 'Why the figures are null; null when they are available.' })
  unavailableReason!: string | null;
}

@ObjectType({ description: 'Exposure of the open positions and leverage on AUM. Money in BRL.' })
export class Leverage {
  @Field(() => DecimalScalar, { description: 'Σ |notional|, BRL.' })
  grossExposureBrl!: Decimal;

  @Field(() => DecimalScalar, { description: 'Long − short, BRL; negative when net short.' })
  netExposureBrl!: Decimal;

  @Field(() => DecimalScalar)
  longExposureBrl!: Decimal;

  @Field(() => DecimalScalar, { description: 'Short notional as a positive amount, BRL.' })
  shortExposureBrl!: Decimal;

  @Field(() => Float, { description: 'Gross exposure / AUM, × AUM.' })
  gross!: number;

  @Field(() => Float, { description: '(Long − short) / AUM, × AUM, signed.' })
  net!: number;
}

@ObjectType({ description: 'Drawdown of cumulative daily P&L from its high-water mark (which starts at 0), up to asOf.' })
export class Drawdown {
  @Field(() => DecimalScalar, { description: 'Σ daily P&L up to asOf, BRL.' })
  cumulativePnlBrl!: Decimal;

  @Field(() => DecimalScalar, { description: 'Highest cumulative P&L reached, BRL; never negative.' })
  highWaterMarkBrl!: Decimal;

  @Field(() => Float, { description: 'Current drawdown, % of AUM (≥ 0).' })
  currentPct!: number;

  @Field(() => Float, { description: 'Largest drawdown along the path, % of AUM.' })
  maxPct!: number;

  @Field(() => Int, { description: 'Consecutive observations since the last peak; 0 at a peak.' })
  daysInDrawdown!: number;
}

@ObjectType({ description: "An asset class's share of gross exposure against its concentration limit." })
export class ConcentrationRow {
  @Field(() => AssetClassEnum)
  assetClass!: string;

  @Field(() => DecimalScalar, { description: 'Σ |notional| of the class, BRL.' })
  grossNotionalBrl!: Decimal;

  @Field(() => Float, { description: "Share of the book's gross exposure, % of gross." })
  pctOfGross!: number;

  @Field(() => Float, { description: 'Limit, % of gross.' })
  limitPct!: number;

  @Field(() => Float, { description: 'pctOfGross / limitPct as a ratio (0.85 = 85% of the limit used).' })
  utilization!: number;

  @Field(() => RiskStatusEnum)
  status!: string;
}

@ObjectType({ description: 'One of the largest open positions by notional.' })
export class TopPosition {
  @Field(() => ID)
  positionId!: string;

  @Field(() => String)
  ticker!: string;

  @Field(() => DecimalScalar, { description: '|notional|, BRL.' })
  notionalBrl!: Decimal;

  @Field(() => Float, { description: 'Share of gross exposure, % of gross.' })
  pctOfGross!: number;
}

@ObjectType({ description: 'Concentration of the open positions by asset class and by position.' })
export class Concentration {
  @Field(() => [ConcentrationRow], { description: 'Asset classes present, in AssetClass order.' })
  byAssetClass!: ConcentrationRow[];

  @Field(() => [TopPosition], { description: 'The three largest positions by notional (fewer if the book is smaller).' })
  topPositions!: TopPosition[];

  @Field(() => Float, { description: 'Combined share of the top positions, % of gross.' })
  top3PctOfGross!: number;
}

@ObjectType({ description: "One position's P&L under a stress scenario, from its current mark (see StressMethod), at 4 decimal places." })
export class StressContribution {
  @Field(() => ID)
  positionId!: string;

  @Field(() => String)
  ticker!: string;

  @Field(() => String, { description: 'The market factor the position moves with (USDBRL, DI_PRE, NTN_B, IBOV, UST, SP500, CDS_BR, OIL).' })
  factor!: string;

  @Field(() => Float, {
    description: 'Shock of the factor, %: a price move, or for a RATES position a rate move in percentage points.',
  })
  shockPct!: number;

  @Field(() => StressMethodEnum)
  method!: string;

  @Field(() => DecimalScalar, { description: 'P&L of the position under the shock, BRL; negative is a loss.' })
  pnlBrl!: Decimal;
}

@ObjectType({
  description:
    'A historical stress scenario applied to the open positions by a factor model: each ticker moves with one ' +
    'factor (DI_PRE, USDBRL, NTN_B, IBOV, UST, SP500, CDS_BR, OIL), shocked from its current mark.',
})
export class StressTest {
  @Field(() => String, { description: 'Stable scenario id, e.g. COVID_2020.' })
  scenarioId!: string;

  @Field(() => String)
  name!: string;

  @Field(() => DecimalScalar, { description: 'Scenario P&L, BRL; negative is a loss. The sum of the contributions.' })
  pnlBrl!: Decimal;

  @Field(() => Float, { description: 'Scenario P&L, % of AUM; negative is a loss.' })
  pnlPctOfAum!: number;

  @Field(() => [StressContribution], { description: 'Only the positions the scenario shocks; the others contribute 0.' })
  contributions!: StressContribution[];
}

@ObjectType({ description: 'A risk figure against its limit.' })
export class LimitCheck {
  @Field(() => String, { description: 'VAR_95, VAR_99, GROSS_LEVERAGE, NET_LEVERAGE or DRAWDOWN.' })
  check!: string;

  @Field(() => Float, {
    nullable: true,
    description: 'VaR and drawdown in % of AUM, leverage in × AUM (net leverage signed). Null when VaR is unavailable.',
  })
  value!: number | null;

  @Field(() => Float, { description: 'In the unit of value.' })
  limit!: number;

  @Field(() => Float, { nullable: true, description: '|value| / limit as a ratio (0.85 = 85% used); null with value.' })
  utilization!: number | null;

  @Field(() => RiskStatusEnum, { description: 'OK when VaR is unavailable.' })
  status!: string;
}

@ObjectType({ description: 'A limit or concentration check in WARNING or BREACHED.' })
export class RiskAlert {
  @Field(() => String, { description: 'A limit check name (VAR_95, ..., DRAWDOWN) or CONCENTRATION_<AssetClass>.' })
  check!: string;

  @Field(() => RiskStatusEnum, { description: 'WARNING or BREACHED.' })
  status!: string;

  @Field(() => String)
  message!: string;

  @Field(() => Float, { description: 'VaR and drawdown in % of AUM, leverage in × AUM, concentration in % of gross.' })
  value!: number;

  @Field(() => Float, { description: 'In the unit of value.' })
  limit!: number;
}

@Directive(`@cached(ttl: ${CACHE_TTL_SECONDS.RiskLive})`)
@ObjectType({ description: 'Live risk of a portfolio at a date: VaR, leverage, drawdown, concentration, stress tests and limits.' })
export class RiskLive {
  @Field(() => ID)
  portfolioId!: string;

  @Field(() => DateScalar)
  asOf!: string;

  @Field(() => DecimalScalar)
  aumBrl!: Decimal;

  @Field(() => ValueAtRisk)
  var!: ValueAtRisk;

  @Field(() => Leverage)
  leverage!: Leverage;

  @Field(() => Drawdown)
  drawdown!: Drawdown;

  @Field(() => Concentration)
  concentration!: Concentration;

  @Field(() => [StressTest])
  stress!: StressTest[];

  @Field(() => [LimitCheck], { description: 'VAR_95, VAR_99, GROSS_LEVERAGE, NET_LEVERAGE, DRAWDOWN, in that order.' })
  limits!: LimitCheck[];

  @Field(() => [RiskAlert], { description: 'One per check in WARNING or BREACHED, BREACHED first.' })
  alerts!: RiskAlert[];

  @Field(() => RiskStatusEnum, { description: 'Worst status over the limit and concentration checks.' })
  overallStatus!: string;
}

@ObjectType({ description: "A day's stored risk figures, recorded when live risk is read." })
export class RiskSnapshot {
  @Field(() => ID)
  portfolioId!: string;

  @Field(() => DateScalar)
  date!: string;

  @Field(() => Float, { nullable: true, description: 'Parametric VaR 95, % of AUM; null when unavailable.' })
  var95!: number | null;

  @Field(() => Float, { nullable: true, description: 'Parametric VaR 99, % of AUM; null when unavailable.' })
  var99!: number | null;

  @Field(() => Float, { description: '× AUM.' })
  grossLeverage!: number;

  @Field(() => Float, { description: 'Current drawdown, % of AUM.' })
  drawdownPct!: number;

  @Field(() => Int)
  alertCount!: number;

  @Field(() => RiskStatusEnum)
  overallStatus!: string;
}
