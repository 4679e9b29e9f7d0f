import { Field, ID, Int, ObjectType } from 'type-graphql';
import { PriceSourceEnum } from './enums';
import { DateScalar } from './scalars/date.scalar';
import { DecimalScalar } from './scalars/decimal.scalar';

@ObjectType()
export class PositionMark {
  @Field(() => ID)
  positionId!: string;

  @Field(() => String)
  ticker!: string;

  @Field(() => DecimalScalar)
  price!: string;

  @Field(() => PriceSourceEnum)
  source!: string;

  @Field(() => DateScalar, { nullable: true, description: 'Date of the market close used.' })
  priceDate!: string | null;

  @Field(() => Boolean, { description: 'True when the close is more than 3 days old, or no price existed.' })
  stale!: boolean;

  @Field(() => DecimalScalar)
  unrealizedPnlBrl!: string;

  @Field(() => DecimalScalar)
  dailyPnlBrl!: string;
}

@ObjectType({ description: 'What a mark-to-market run did.' })
export class MarkToMarketResult {
  @Field(() => ID)
  portfolioId!: string;

  @Field(() => DateScalar)
  asOf!: string;

  @Field(() => DecimalScalar, { nullable: true, description: 'BRL per USD applied; null when none was known.' })
  fxRate!: string | null;

  @Field(() => [PositionMark])
  marks!: PositionMark[];

  @Field(() => DecimalScalar, { description: 'Σ daily P&L of the day, measured against the previous day.' })
  dailyPnlBrl!: string;

  @Field(() => DecimalScalar)
  unrealizedPnlBrl!: string;

  @Field(() => Int)
  staleCount!: number;
}
