import { Directive, Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { CACHE_TTL_SECONDS } from './cache-policy';
import type { Decimal } from '../domain/decimal';
import { AssetClassEnum } from './enums';
import { Position } from './position.type';
import { DateScalar } from './scalars/date.scalar';
import { DecimalScalar } from './scalars/decimal.scalar';

@ObjectType({ description: 'Exposure of one asset class among the open positions. Money in BRL.' })
export class AssetClassExposure {
  @Field(() => AssetClassEnum)
  assetClass!: string;

  @Field(() => Int, { description: 'Number of open positions in the class.' })
  count!: number;

  @Field(() => DecimalScalar, { description: 'Σ |notional| of the open positions in the class, BRL.' })
  grossNotionalBrl!: Decimal;

  @Field(() => DecimalScalar)
  unrealizedPnlBrl!: Decimal;
}

@ObjectType({ description: 'Exposure, leverage and P&L of the book at its as-of date. Money in BRL unless the field says USD.' })
export class BookSummary {
  @Field(() => DecimalScalar)
  aumBrl!: Decimal;

  @Field(() => DecimalScalar, { description: 'Σ |notional| of the open positions, BRL.' })
  grossExposureBrl!: Decimal;

  @Field(() => DecimalScalar, { description: 'Long − short notional, BRL; negative when the book is net short.' })
  netExposureBrl!: Decimal;

  @Field(() => Float, { description: 'Gross exposure / AUM, × AUM (1.5 = 1.5× AUM).' })
  grossLeverage!: number;

  @Field(() => Float, { description: 'Net exposure / AUM, × AUM, signed.' })
  netLeverage!: number;

  @Field(() => Int, { description: 'Number of open positions.' })
  openPositions!: number;

  @Field(() => DecimalScalar, { description: 'Σ over the open positions.' })
  unrealizedPnlBrl!: Decimal;

  @Field(() => DecimalScalar, { description: 'Σ over the open positions.' })
  unrealizedPnlUsd!: Decimal;

  @Field(() => DecimalScalar, { description: 'Σ over the positions closed on or before asOf.' })
  realizedPnlBrl!: Decimal;

  @Field(() => DecimalScalar, { description: 'Σ over the positions closed on or before asOf.' })
  realizedPnlUsd!: Decimal;

  @Field(() => DecimalScalar, { description: 'Daily P&L of asOf.' })
  pnlTodayBrl!: Decimal;

  @Field(() => DecimalScalar, { description: "Daily P&L from the first of asOf's month to asOf." })
  pnlMtdBrl!: Decimal;

  @Field(() => DecimalScalar, { description: "Daily P&L from January 1 of asOf's year to asOf." })
  pnlYtdBrl!: Decimal;

  @Field(() => Int, { description: 'Positions closed on asOf itself.' })
  closedToday!: number;
}

@Directive(`@cached(ttl: ${CACHE_TTL_SECONDS.Book})`)
@ObjectType({ description: 'The book of a portfolio at a date: its open positions, exposure by asset class and summary.' })
export class Book {
  @Field(() => ID)
  portfolioId!: string;

  @Field(() => DateScalar)
  asOf!: string;

  @Field(() => [Position], { description: 'The positions open at the end of asOf, marked as of that date.' })
  positions!: Position[];

  @Field(() => [AssetClassExposure], { description: 'One row per asset class present, in AssetClass order.' })
  byAssetClass!: AssetClassExposure[];

  @Field(() => BookSummary)
  summary!: BookSummary;
}
