import { Field, ID, Int, ObjectType } from 'type-graphql';
import type { Decimal } from '../domain/decimal';
import { AssetClassEnum, DirectionEnum } from './enums';
import { JSONObjectScalar } from './scalars/json.scalar';
import { DateScalar } from './scalars/date.scalar';
import { DecimalScalar } from './scalars/decimal.scalar';

@ObjectType({ description: 'A position of a portfolio, open or closed. Money in BRL unless the field says USD.' })
export class Position {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  portfolioId!: string;

  @Field(() => String)
  ticker!: string;

  @Field(() => AssetClassEnum)
  assetClass!: string;

  @Field(() => DirectionEnum)
  direction!: string;

  @Field(() => DecimalScalar, { description: 'Size of the position in BRL (always positive; sign from direction).' })
  notionalBrl!: Decimal;

  @Field(() => DecimalScalar, { nullable: true })
  quantity!: Decimal | null;

  @Field(() => DecimalScalar)
  entryPrice!: Decimal;

  @Field(() => DateScalar)
  entryDate!: string;

  @Field(() => DecimalScalar, { description: 'BRL per USD at entry.' })
  entryFxRate!: Decimal;

  @Field(() => DecimalScalar, { description: 'Latest mark (the close price once closed).' })
  currentPrice!: Decimal;

  @Field(() => DateScalar, { nullable: true })
  lastMarkDate!: string | null;

  @Field(() => DecimalScalar)
  unrealizedPnlBrl!: Decimal;

  @Field(() => DecimalScalar)
  unrealizedPnlUsd!: Decimal;

  @Field(() => DecimalScalar, { description: 'Realized P&L after entry and exit costs (closed positions).' })
  realizedPnlBrl!: Decimal;

  @Field(() => DecimalScalar)
  realizedPnlUsd!: Decimal;

  @Field(() => DecimalScalar, { description: 'Costs charged so far: entry, plus exit once closed.' })
  transactionCostBrl!: Decimal;

  @Field(() => Boolean)
  isOpen!: boolean;

  @Field(() => DateScalar, { nullable: true })
  closedAt!: string | null;

  @Field(() => DecimalScalar, { nullable: true })
  closePrice!: Decimal | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'RATES: traded rate, % a.a.' })
  ratePct!: Decimal | null;

  @Field(() => Int, { nullable: true, description: 'RATES: business days to maturity at entry.' })
  businessDays!: number | null;

  @Field(() => [String])
  strategyIds!: string[];

  @Field(() => JSONObjectScalar, { nullable: true, description: 'Weights by strategy id (normalized where used).' })
  strategyWeights!: Record<string, number> | null;

  @Field(() => String, { nullable: true, description: 'Notes given at entry. Outcome notes are journal NOTE entries: closing does not rewrite them.' })
  notes!: string | null;

  @Field(() => Int, { description: 'Incremented on every change of the row. In a book or risk as of a past date: 1 + the position\'s snapshots up to that date, so that later changes do not show.' })
  version!: number;
}

