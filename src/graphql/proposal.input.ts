import { Field, Float, ID, InputType, Int } from 'type-graphql';
import type { Decimal } from '../domain/decimal';
import { DirectionEnum } from './enums';
import { Bounded, NUMERIC, TEXT_MAX_LENGTH } from './input-bounds';
import { STRATEGY_IDS_MAX } from './position.input';
import { DateScalar } from './scalars/date.scalar';
import { DecimalScalar } from './scalars/decimal.scalar';

/** Signals in one generateProposals call (at most 5 proposals a day come out of them). */
export const SIGNALS_MAX = 100;

// The terms of approving and of modifying-and-approving are declared in each class, not inherited
// from a common one: TypeGraphQL 2.0 drops the extensions (the @Bounded bounds) of inherited input
// fields, and enforceInputBounds refuses a Decimal input field without bounds at schema build.
@InputType()
export class ApproveProposalInput {
  @Field(() => ID)
  proposalId!: string;

  @Field(() => DecimalScalar, { nullable: true, description: 'BRL; defaults to the suggested notional. Above 0, at most 2 decimal places.' })
  @Bounded({ numeric: NUMERIC.money })
  executionNotionalBrl?: Decimal | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'RATES: traded rate in % a.a., at most 6 decimal places.' })
  @Bounded({ numeric: NUMERIC.ratePct })
  ratePct?: Decimal | null;

  @Field(() => Int, { nullable: true, description: 'RATES: business days to maturity (0 or more).' })
  businessDays?: number | null;

  @Field(() => String, { nullable: true, description: `At most ${TEXT_MAX_LENGTH} characters.` })
  @Bounded({ maxLength: TEXT_MAX_LENGTH })
  notes?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'ADMIN only: approve although a pre-trade check fails.' })
  overridePreTrade?: boolean | null;

  @Field(() => String, { nullable: true })
  idempotencyKey?: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: "Defaults to the instrument's latest close. Above 0, at most 8 decimal places." })
  @Bounded({ numeric: NUMERIC.price })
  executionPrice?: Decimal | null;
}

@InputType()
export class ModifyAndApproveProposalInput {
  @Field(() => ID)
  proposalId!: string;

  @Field(() => DecimalScalar, { nullable: true, description: 'BRL; defaults to the suggested notional. Above 0, at most 2 decimal places.' })
  @Bounded({ numeric: NUMERIC.money })
  executionNotionalBrl?: Decimal | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'RATES: traded rate in % a.a., at most 6 decimal places.' })
  @Bounded({ numeric: NUMERIC.ratePct })
  ratePct?: Decimal | null;

  @Field(() => Int, { nullable: true, description: 'RATES: business days to maturity (0 or more).' })
  businessDays?: number | null;

  @Field(() => String, { nullable: true, description: `At most ${TEXT_MAX_LENGTH} characters.` })
  @Bounded({ maxLength: TEXT_MAX_LENGTH })
  notes?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'ADMIN only: approve although a pre-trade check fails.' })
  overridePreTrade?: boolean | null;

  @Field(() => String, { nullable: true })
  idempotencyKey?: string | null;

  @Field(() => DecimalScalar, { description: 'Required: the price the modified trade executes at. Above 0, at most 8 decimal places.' })
  @Bounded({ numeric: NUMERIC.price })
  executionPrice!: Decimal;

  @Field(() => DirectionEnum, { nullable: true })
  direction?: 'LONG' | 'SHORT' | null;
}

@InputType()
export class RejectProposalInput {
  @Field(() => ID)
  proposalId!: string;

  @Field(() => String, { description: `Why (3 to ${TEXT_MAX_LENGTH} characters).` })
  @Bounded({ maxLength: TEXT_MAX_LENGTH })
  notes!: string;

  @Field(() => String, { nullable: true })
  idempotencyKey?: string | null;
}

@InputType()
export class SignalInput {
  @Field(() => String)
  ticker!: string;

  @Field(() => DirectionEnum)
  direction!: 'LONG' | 'SHORT';

  @Field(() => Float, { description: '0..1; signals below 0.55 are skipped.' })
  conviction!: number;

  @Field(() => String)
  signalSource!: string;

  @Field(() => [String], { nullable: true, description: `At most ${STRATEGY_IDS_MAX}.` })
  @Bounded({ maxItems: STRATEGY_IDS_MAX })
  strategyIds?: string[] | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'BRL; defaults to 10% of AUM × conviction. Above 0, at most 2 decimal places.' })
  @Bounded({ numeric: NUMERIC.money })
  suggestedNotionalBrl?: Decimal | null;
}

@InputType()
export class GenerateProposalsInput {
  @Field(() => ID)
  portfolioId!: string;

  @Field(() => DateScalar, {
    nullable: true,
    description:
      'Date of the proposals; defaults to today. It must fall within the current business day (today, or a ' +
      'weekend date after Friday): proposals of an earlier one would read EXPIRED at once, so such a date is ' +
      'refused with PROPOSAL_DATE_EXPIRED rather than backfilled.',
  })
  asOf?: string | null;

  @Field(() => [SignalInput], { description: `At most ${SIGNALS_MAX}.` })
  @Bounded({ maxItems: SIGNALS_MAX })
  signals!: SignalInput[];

  @Field(() => String, { nullable: true })
  idempotencyKey?: string | null;
}
