import { Field, ID, InputType, Int } from 'type-graphql';
import type { Decimal } from '../domain/decimal';
import { DirectionEnum } from './enums';
import { JSONObjectScalar } from './scalars/json.scalar';
import { DateScalar } from './scalars/date.scalar';
import { DecimalScalar } from './scalars/decimal.scalar';

@InputType({ description: 'A discretionary trade: creates a proposal born APPROVED and the position.' })
export class OpenPositionInput {
  @Field(() => ID, { description: 'Portfolio id or code.' })
  portfolioId!: string;

  @Field(() => String)
  ticker!: string;

  @Field(() => DirectionEnum)
  direction!: 'LONG' | 'SHORT';

  @Field(() => DecimalScalar)
  notionalBrl!: Decimal;

  @Field(() => DecimalScalar)
  entryPrice!: Decimal;

  @Field(() => String, { description: 'Why the trade is on (at least 5 characters).' })
  thesis!: string;

  @Field(() => DateScalar, { nullable: true, description: 'Defaults to today.' })
  entryDate?: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'BRL per USD; defaults to the USDBRL close.' })
  entryFxRate?: Decimal | null;

  @Field(() => DecimalScalar, { nullable: true })
  quantity?: Decimal | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'RATES: traded rate in % a.a.' })
  ratePct?: Decimal | null;

  @Field(() => Int, { nullable: true, description: 'RATES: business days to maturity.' })
  businessDays?: number | null;

  @Field(() => [String], { nullable: true })
  strategyIds?: string[] | null;

  @Field(() => JSONObjectScalar, { nullable: true, description: 'Weights by strategy id, e.g. {"RATES_BR_01": 0.6}.' })
  strategyWeights?: Record<string, number> | null;

  @Field(() => String, { nullable: true })
  notes?: string | null;

  @Field(() => String, { nullable: true, description: 'A retry with the same key returns the first result and changes nothing.' })
  idempotencyKey?: string | null;
}

@InputType()
export class ClosePositionInput {
  @Field(() => ID)
  positionId!: string;

  @Field(() => DecimalScalar)
  closePrice!: Decimal;

  @Field(() => DateScalar, { nullable: true, description: 'Defaults to today.' })
  closeDate?: string | null;

  @Field(() => String, { nullable: true, description: 'Outcome notes, journaled as a NOTE.' })
  outcomeNotes?: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'BRL per USD for the USD figures; defaults to the USDBRL close.' })
  fxRate?: Decimal | null;

  @Field(() => String, { nullable: true })
  idempotencyKey?: string | null;
}

@InputType()
export class RecordOutcomeInput {
  @Field(() => ID)
  positionId!: string;

  @Field(() => String, { description: 'At least 3 characters.' })
  notes!: string;

  @Field(() => String, { nullable: true })
  idempotencyKey?: string | null;
}

@InputType()
export class PriceOverrideInput {
  @Field(() => String)
  ticker!: string;

  @Field(() => DecimalScalar)
  price!: Decimal;
}

@InputType()
export class MarkToMarketInput {
  @Field(() => ID, { description: 'Portfolio id or code.' })
  portfolioId!: string;

  @Field(() => DateScalar, { nullable: true, description: 'Defaults to today.' })
  asOf?: string | null;

  @Field(() => [PriceOverrideInput], { nullable: true, description: 'Manual prices; they win over market closes.' })
  prices?: PriceOverrideInput[] | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'BRL per USD; defaults to the USDBRL close.' })
  fxRate?: Decimal | null;

  @Field(() => String, { nullable: true })
  idempotencyKey?: string | null;
}
