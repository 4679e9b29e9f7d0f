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

  @Field(() => DecimalScalar, { description: 'As stored on the position and its snapshot: BRL, 4 decimal places.' })
  unrealizedPnlBrl!: string;

  @Field(() => DecimalScalar, { description: 'As stored on the day\'s snapshot: BRL, 4 decimal places.' })
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

  @Field(() => DecimalScalar, {
    description: 'Σ daily P&L of the day, measured against the previous day: exactly the sum of the snapshots stored.',
  })
  dailyPnlBrl!: string;

  @Field(() => DecimalScalar, { description: 'Σ unrealized P&L of the marks: exactly the sum of the snapshots stored.' })
  unrealizedPnlBrl!: string;

  @Field(() => Int)
  staleCount!: number;
}
