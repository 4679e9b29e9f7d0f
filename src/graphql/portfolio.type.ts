import { Field, ID, ObjectType } from 'type-graphql';
import type { Decimal } from '../domain/decimal';
import { DateScalar } from './scalars/date.scalar';
import { DecimalScalar } from './scalars/decimal.scalar';

@ObjectType({ description: 'A fund portfolio. Queries take its id or its code.' })
export class Portfolio {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'Short unique code, e.g. MACRO_FUND_1.' })
  code!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String)
  baseCurrency!: string;

  @Field(() => DecimalScalar, { description: 'Assets under management in BRL.' })
  aumBrl!: Decimal;

  @Field(() => DateScalar)
  inceptionDate!: string;
}
