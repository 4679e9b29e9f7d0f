import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Instrument as InstrumentModel, Portfolio as PortfolioModel, Position as PositionModel, TradeProposal as ProposalModel } from '../domain/types';
import * as positions from '../services/positions.service';
import { markToMarket, type MarkToMarketResult as MtmModel } from '../services/mark-to-market.service';
import { mayRead } from '../services/portfolios.service';
import { requireActor, type Context } from './context';
import { AssetClassEnum, PositionStatusEnum } from './enums';
import { Instrument } from './instrument.type';
import { MarkToMarketResult } from './mark-to-market.type';
import { Portfolio } from './portfolio.type';
import { ClosePositionInput, MarkToMarketInput, OpenPositionInput, RecordOutcomeInput } from './position.input';
import { Position } from './position.type';
import { TradeProposal } from './proposal.type';

@Resolver(() => Position)
export class PositionResolver {
  @Query(() => [Position], { description: 'Positions of a portfolio (open by default).' })
  positions(
    @Ctx() ctx: Context,
    @Arg('portfolioId', () => ID, { description: 'Portfolio id or code.' }) portfolioId: string,
    @Arg('status', () => PositionStatusEnum, { nullable: true }) status?: 'OPEN' | 'CLOSED' | 'ALL' | null,
    @Arg('assetClass', () => AssetClassEnum, { nullable: true }) assetClass?: PositionModel['assetClass'] | null,
  ): Promise<PositionModel[]> {
    return positions.listPortfolioPositions(ctx.services, requireActor(ctx), { portfolioId, status, assetClass });
  }

  @Query(() => Position, { nullable: true })
  async position(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<PositionModel | null> {
    const actor = requireActor(ctx);
    const position = await ctx.loaders.position.load(id);
    // Another fund's position answers exactly as an unknown id: null, naming nothing.
    if (!position || !(await mayRead(ctx.services.portfolios, actor, position.portfolioId))) return null;
    return position;
  }

  @FieldResolver(() => Instrument)
  async instrument(@Root() p: PositionModel, @Ctx() ctx: Context): Promise<InstrumentModel | null> {
    return ctx.loaders.instrument.load(p.instrumentId);
  }

  @FieldResolver(() => Portfolio)
  async portfolio(@Root() p: PositionModel, @Ctx() ctx: Context): Promise<PortfolioModel | null> {
    return ctx.loaders.portfolio.load(p.portfolioId);
  }

  @FieldResolver(() => TradeProposal, { nullable: true, description: 'The proposal the position was opened from.' })
  async proposal(@Root() p: PositionModel, @Ctx() ctx: Context): Promise<ProposalModel | null> {
    return p.proposalId ? ctx.loaders.proposal.load(p.proposalId) : null;
  }

  @Mutation(() => Position, { description: 'Opens a discretionary position (MANAGER, ADMIN).' })
  openPosition(@Ctx() ctx: Context, @Arg('input', () => OpenPositionInput) input: OpenPositionInput): Promise<PositionModel> {
    return positions.openPosition(ctx.services, requireActor(ctx), input);
  }

  @Mutation(() => Position, { description: 'Closes an open position at a price (MANAGER, ADMIN).' })
  closePosition(@Ctx() ctx: Context, @Arg('input', () => ClosePositionInput) input: ClosePositionInput): Promise<PositionModel> {
    return positions.closePosition(ctx.services, requireActor(ctx), input);
  }

  @Mutation(() => ID, { description: 'Journals outcome notes on a position; returns the NOTE entry id.' })
  recordOutcome(@Ctx() ctx: Context, @Arg('input', () => RecordOutcomeInput) input: RecordOutcomeInput): Promise<string> {
    return positions.recordOutcome(ctx.services, requireActor(ctx), input);
  }

  @Mutation(() => MarkToMarketResult, { description: 'Marks the open positions of a portfolio (MANAGER, RISK_OFFICER, ADMIN).' })
  markToMarket(@Ctx() ctx: Context, @Arg('input', () => MarkToMarketInput) input: MarkToMarketInput): Promise<MtmModel> {
    return markToMarket(ctx.services, requireActor(ctx), input);
  }
}
