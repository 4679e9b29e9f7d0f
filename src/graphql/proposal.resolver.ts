import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { today } from '../domain/dates';
import type { Instrument as InstrumentModel, Position as PositionModel, ProposalStatus, TradeProposal as ProposalModel } from '../domain/types';
import { mayRead } from '../services/portfolios.service';
import * as proposals from '../services/proposals.service';
import { requireActor, type Context } from './context';
import { ProposalStatusEnum } from './enums';
import { GenerateProposalsResult } from './generate-proposals.type';
import { Instrument } from './instrument.type';
import { Position } from './position.type';
import {
  ApproveProposalInput, GenerateProposalsInput, ModifyAndApproveProposalInput, RejectProposalInput,
} from './proposal.input';
import { TradeProposal } from './proposal.type';
import { DateScalar } from './scalars/date.scalar';

@Resolver(() => TradeProposal)
export class ProposalResolver {
  @Query(() => [TradeProposal], { description: 'Proposals of a portfolio, newest day first, strongest conviction first.' })
  tradeProposals(
    @Ctx() ctx: Context,
    @Arg('portfolioId', () => ID) portfolioId: string,
    @Arg('status', () => ProposalStatusEnum, { nullable: true }) status?: ProposalStatus | null,
    @Arg('date', () => DateScalar, { nullable: true }) date?: string | null,
    @Arg('limit', () => Int, { nullable: true, defaultValue: 100 }) limit?: number | null,
  ): Promise<ProposalModel[]> {
    return proposals.listPortfolioProposals(ctx.services, requireActor(ctx), { portfolioId, status, date, limit });
  }

  @Query(() => TradeProposal, { nullable: true })
  async tradeProposal(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<ProposalModel | null> {
    const actor = requireActor(ctx);
    const proposal = await ctx.loaders.proposal.load(id);
    // Another fund's proposal answers exactly as an unknown id: null, naming nothing.
    if (!proposal || !(await mayRead(ctx.services.portfolios, actor, proposal.portfolioId))) return null;
    return proposals.withEffectiveStatus(proposal, today(ctx.services.clock));
  }

  @FieldResolver(() => Instrument)
  instrument(@Root() p: ProposalModel, @Ctx() ctx: Context): Promise<InstrumentModel | null> {
    return ctx.loaders.instrument.load(p.instrumentId);
  }

  @FieldResolver(() => Position, { nullable: true, description: 'The position opened on approval.' })
  position(@Root() p: ProposalModel, @Ctx() ctx: Context): Promise<PositionModel | null> {
    return p.positionId ? ctx.loaders.position.load(p.positionId) : Promise.resolve(null);
  }

  @Mutation(() => TradeProposal, { description: 'Approves a PENDING proposal and opens its position (MANAGER, ADMIN).' })
  approveProposal(@Ctx() ctx: Context, @Arg('input', () => ApproveProposalInput) input: ApproveProposalInput): Promise<ProposalModel> {
    return proposals.approveProposal(ctx.services, requireActor(ctx), input);
  }

  @Mutation(() => TradeProposal, { description: 'Approves with a changed direction and/or notional; status MODIFIED.' })
  modifyAndApproveProposal(
    @Ctx() ctx: Context,
    @Arg('input', () => ModifyAndApproveProposalInput) input: ModifyAndApproveProposalInput,
  ): Promise<ProposalModel> {
    return proposals.modifyAndApproveProposal(ctx.services, requireActor(ctx), input);
  }

  @Mutation(() => TradeProposal, { description: 'Rejects a PENDING proposal with notes.' })
  rejectProposal(@Ctx() ctx: Context, @Arg('input', () => RejectProposalInput) input: RejectProposalInput): Promise<ProposalModel> {
    return proposals.rejectProposal(ctx.services, requireActor(ctx), input);
  }

  @Mutation(() => GenerateProposalsResult, { description: 'Turns model signals into PENDING proposals of the current business day (a past asOf: PROPOSAL_DATE_EXPIRED).' })
  generateProposals(
    @Ctx() ctx: Context,
    @Arg('input', () => GenerateProposalsInput) input: GenerateProposalsInput,
  ): Promise<proposals.GenerateProposalsResult> {
    return proposals.generateProposals(ctx.services, requireActor(ctx), input);
  }
}
