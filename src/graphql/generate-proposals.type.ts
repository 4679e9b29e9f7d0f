import { Field, ObjectType } from 'type-graphql';
import { SkipReasonEnum } from './enums';
import { TradeProposal } from './proposal.type';

@ObjectType()
export class SkippedSignal {
  @Field(() => String)
  ticker!: string;

  @Field(() => SkipReasonEnum)
  reason!: string;
}

@ObjectType()
export class GenerateProposalsResult {
  @Field(() => [TradeProposal])
  created!: TradeProposal[];

  @Field(() => [SkippedSignal])
  skipped!: SkippedSignal[];
}
