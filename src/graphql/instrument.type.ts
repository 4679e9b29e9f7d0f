import { Field, ID, ObjectType } from 'type-graphql';
import type { Decimal } from '../domain/decimal';
import { AssetClassEnum, PriceConventionEnum } from './enums';
import { DecimalScalar } from './scalars/decimal.scalar';

@ObjectType()
export class Instrument {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  ticker!: string;

  @Field(() => String)
  name!: string;

  @Field(() => AssetClassEnum)
  assetClass!: string;

  @Field(() => PriceConventionEnum)
  priceConvention!: string;

  @Field(() => DecimalScalar, { description: 'Transaction cost per side, in basis points of notional.' })
  costBps!: Decimal;
}
