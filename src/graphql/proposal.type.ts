import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import type { Decimal } from '../domain/decimal';
import { AssetClassEnum, DirectionEnum, ProposalStatusEnum } from './enums';
import { DateScalar } from './scalars/date.scalar';
import { DecimalScalar } from './scalars/decimal.scalar';

@ObjectType({ description: 'Pre-trade effect of a proposal when it was generated.' })
export class RiskImpact {
  @Field(() => Float)
  grossLeverageBefore!: number;

  @Field(() => Float)
  grossLeverageAfter!: number;

  @Field(() => Float, { description: "Weight of the proposal's asset class in gross exposure after the trade, %." })
  assetClassWeightAfter!: number;
}

@ObjectType({ description: 'A trade proposal: PENDING until approved, modified and approved, or rejected.' })
export class TradeProposal {
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

  @Field(() => DecimalScalar)
  suggestedNotionalBrl!: Decimal;

  @Field(() => Float, { description: '0..1' })
  conviction!: number;

  @Field(() => String, { description: 'Model or desk the signal came from; DISCRETIONARY for manual opens.' })
  signalSource!: string;

  @Field(() => [String])
  strategyIds!: string[];

  @Field(() => String)
  rationale!: string;

  @Field(() => RiskImpact, { nullable: true })
  riskImpact!: RiskImpact | null;

  @Field(() => ProposalStatusEnum)
  status!: string;

  @Field(() => DateScalar)
  asOfDate!: string;

  @Field(() => Boolean, { description: 'True when the proposal reverses an open position.' })
  isFlip!: boolean;

  @Field(() => String, { nullable: true })
  reviewedBy!: string | null;

  @Field(() => Date, { nullable: true })
  reviewedAt!: Date | null;

  @Field(() => DecimalScalar, { nullable: true })
  executionPrice!: Decimal | null;

  @Field(() => DecimalScalar, { nullable: true })
  executionNotionalBrl!: Decimal | null;

  @Field(() => ID, { nullable: true })
  positionId!: string | null;

  @Field(() => String, { nullable: true })
  notes!: string | null;

  @Field(() => Int)
  version!: number;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => String, {
    nullable: true,
    description: 'Who created it: the manager of a discretionary open, the caller of generateProposals. Null for proposals older than the record.',
  })
  createdBy!: string | null;
}
