import { Field, Float, ID, InputType, Int } from 'type-graphql';
import type { Decimal } from '../domain/decimal';
import { DirectionEnum } from './enums';
import { DateScalar } from './scalars/date.scalar';
import { DecimalScalar } from './scalars/decimal.scalar';

/** Terms shared by approving and by modifying-and-approving a proposal. */
@InputType()
abstract class ProposalExecutionInput {
  @Field(() => ID)
  proposalId!: string;

  @Field(() => DecimalScalar, { nullable: true, description: 'Defaults to the suggested notional.' })
  executionNotionalBrl?: Decimal | null;

  @Field(() => DecimalScalar, { nullable: true })
  ratePct?: Decimal | null;

  @Field(() => Int, { nullable: true })
  businessDays?: number | null;

  @Field(() => String, { nullable: true })
  notes?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'ADMIN only: approve although a pre-trade check fails.' })
  overridePreTrade?: boolean | null;

  @Field(() => String, { nullable: true })
  idempotencyKey?: string | null;
}

@InputType()
export class ApproveProposalInput extends ProposalExecutionInput {
  @Field(() => DecimalScalar, { nullable: true, description: "Defaults to the instrument's latest close." })
  executionPrice?: Decimal | null;
}

@InputType()
export class ModifyAndApproveProposalInput extends ProposalExecutionInput {
  @Field(() => DecimalScalar, { description: 'Required: the price the modified trade executes at.' })
  executionPrice!: Decimal;

  @Field(() => DirectionEnum, { nullable: true })
  direction?: 'LONG' | 'SHORT' | null;
}

@InputType()
export class RejectProposalInput {
  @Field(() => ID)
  proposalId!: string;

  @Field(() => String, { description: 'Why (at least 3 characters).' })
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

  @Field(() => [String], { nullable: true })
  strategyIds?: string[] | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'Defaults to 10% of AUM × conviction.' })
  suggestedNotionalBrl?: Decimal | null;
}

@InputType()
export class GenerateProposalsInput {
  @Field(() => ID)
  portfolioId!: string;

  @Field(() => DateScalar, { nullable: true })
  asOf?: string | null;

  @Field(() => [SignalInput])
  signals!: SignalInput[];

  @Field(() => String, { nullable: true })
  idempotencyKey?: string | null;
}
