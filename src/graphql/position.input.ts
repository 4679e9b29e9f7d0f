import { Field, ID, InputType, Int } from 'type-graphql';
import type { Decimal } from '../domain/decimal';
import { DirectionEnum } from './enums';
import { Bounded, NUMERIC, TEXT_MAX_LENGTH } from './input-bounds';
import { JSONObjectScalar } from './scalars/json.scalar';
import { DateScalar } from './scalars/date.scalar';
import { DecimalScalar } from './scalars/decimal.scalar';

/** Strategy ids a position or a signal may carry. */
export const STRATEGY_IDS_MAX = 20;
/** Manual prices in one mark to market (one per open position at most). */
export const PRICE_OVERRIDES_MAX = 500;

@InputType({ description: 'A discretionary trade: creates a proposal born APPROVED and the position.' })
export class OpenPositionInput {
  @Field(() => ID, { description: 'Portfolio id or code.' })
  portfolioId!: string;

  @Field(() => String)
  ticker!: string;

  @Field(() => DirectionEnum)
  direction!: 'LONG' | 'SHORT';

  @Field(() => DecimalScalar, { description: 'BRL, above 0, at most 2 decimal places.' })
  @Bounded({ numeric: NUMERIC.money })
  notionalBrl!: Decimal;

  @Field(() => DecimalScalar, { description: 'Above 0, at most 8 decimal places.' })
  @Bounded({ numeric: NUMERIC.price })
  entryPrice!: Decimal;

  @Field(() => String, { description: `Why the trade is on (5 to ${TEXT_MAX_LENGTH} characters).` })
  @Bounded({ maxLength: TEXT_MAX_LENGTH })
  thesis!: string;

  @Field(() => DateScalar, { nullable: true, description: 'Defaults to today.' })
  entryDate?: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'BRL per USD; defaults to the USDBRL close. At most 8 decimal places.' })
  @Bounded({ numeric: NUMERIC.fxRate })
  entryFxRate?: Decimal | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'Above 0, at most 8 decimal places.' })
  @Bounded({ numeric: NUMERIC.price })
  quantity?: Decimal | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'RATES: traded rate in % a.a., at most 6 decimal places.' })
  @Bounded({ numeric: NUMERIC.ratePct })
  ratePct?: Decimal | null;

  @Field(() => Int, { nullable: true, description: 'RATES: business days to maturity (0 or more).' })
  businessDays?: number | null;

  @Field(() => [String], { nullable: true, description: `At most ${STRATEGY_IDS_MAX}.` })
  @Bounded({ maxItems: STRATEGY_IDS_MAX })
  strategyIds?: string[] | null;

  @Field(() => JSONObjectScalar, {
    nullable: true,
    description: `Weights by strategy id, e.g. {"RATES_BR_01": 0.6}: numbers, at most ${STRATEGY_IDS_MAX} keys.`,
  })
  @Bounded({ maxItems: STRATEGY_IDS_MAX, numbersOnly: true })
  strategyWeights?: Record<string, number> | null;

  @Field(() => String, { nullable: true, description: `At most ${TEXT_MAX_LENGTH} characters.` })
  @Bounded({ maxLength: TEXT_MAX_LENGTH })
  notes?: string | null;

  @Field(() => String, { nullable: true, description: 'A retry with the same key returns the first result and changes nothing.' })
  idempotencyKey?: string | null;
}

@InputType()
export class ClosePositionInput {
  @Field(() => ID)
  positionId!: string;

  @Field(() => DecimalScalar, { description: 'Above 0, at most 8 decimal places.' })
  @Bounded({ numeric: NUMERIC.price })
  closePrice!: Decimal;

  @Field(() => DateScalar, {
    nullable: true,
    description:
      'Defaults to today. Not after today, not before the entry date, and not before the position\'s latest ' +
      'snapshot (BAD_USER_INPUT on closeDate): stored history is not rewritten.',
  })
  closeDate?: string | null;

  @Field(() => String, { nullable: true, description: `Outcome notes, journaled as a NOTE (at most ${TEXT_MAX_LENGTH} characters).` })
  @Bounded({ maxLength: TEXT_MAX_LENGTH })
  outcomeNotes?: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'BRL per USD for the USD figures; defaults to the USDBRL close.' })
  @Bounded({ numeric: NUMERIC.fxRate })
  fxRate?: Decimal | null;

  @Field(() => String, { nullable: true })
  idempotencyKey?: string | null;
}

@InputType()
export class RecordOutcomeInput {
  @Field(() => ID)
  positionId!: string;

  @Field(() => String, { description: `3 to ${TEXT_MAX_LENGTH} characters.` })
  @Bounded({ maxLength: TEXT_MAX_LENGTH })
  notes!: string;

  @Field(() => String, { nullable: true })
  idempotencyKey?: string | null;
}

@InputType()
export class PriceOverrideInput {
  @Field(() => String)
  ticker!: string;

  @Field(() => DecimalScalar, { description: 'Above 0, at most 8 decimal places.' })
  @Bounded({ numeric: NUMERIC.price })
  price!: Decimal;
}

@InputType()
export class MarkToMarketInput {
  @Field(() => ID, { description: 'Portfolio id or code.' })
  portfolioId!: string;

  @Field(() => DateScalar, { nullable: true, description: 'Defaults to today. Not before any open position\'s last mark.' })
  asOf?: string | null;

  @Field(() => [PriceOverrideInput], { nullable: true, description: `Manual prices; they win over market closes. At most ${PRICE_OVERRIDES_MAX}.` })
  @Bounded({ maxItems: PRICE_OVERRIDES_MAX })
  prices?: PriceOverrideInput[] | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'BRL per USD; defaults to the USDBRL close.' })
  @Bounded({ numeric: NUMERIC.fxRate })
  fxRate?: Decimal | null;

  @Field(() => String, { nullable: true })
  idempotencyKey?: string | null;
}
