import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { MorningPackSections } from '../domain/morning-pack';
import * as morningPacks from '../services/morning-pack.service';
import { requireActor, type Context } from './context';
import { GenerateMorningPackInput } from './morning-pack.input';
import { MorningPack } from './morning-pack.type';
import { DateScalar } from './scalars/date.scalar';

/**
 * The GraphQL view of a stored pack: its sections flattened beside the row's own fields, and each
 * action item's optional refs flattened into nullable fields.
 */
function toMorningPack(stored: morningPacks.StoredMorningPack): MorningPack {
  // `sections` is the jsonb document buildMorningPack produced, stored and served as is.
  const s = stored.sections as MorningPackSections;
  return {
    id: stored.id,
    portfolioId: stored.portfolioId,
    briefingDate: stored.briefingDate,
    generatedAt: stored.generatedAt,
    generatedBy: stored.generatedBy,
    actionItems: s.actionItems.map(({ refs, ...item }) => ({
      ...item,
      proposalId: refs?.proposalId ?? null,
      ticker: refs?.ticker ?? null,
      check: refs?.check ?? null,
    })),
    pendingProposals: s.pendingProposals,
    portfolioState: s.portfolioState,
    riskSummary: s.riskSummary,
    marketSnapshot: s.marketSnapshot,
    agentViews: s.agentViews,
    regime: s.regime,
    topSignals: s.topSignals,
    narrative: s.narrative,
  };
}

@Resolver(() => MorningPack)
export class MorningPackResolver {
  @Query(() => MorningPack, {
    nullable: true,
    description: 'The stored morning pack of a date, or the latest one when no date is given; null when none was generated.',
  })
  async morningPack(
    @Ctx() ctx: Context,
    @Arg('portfolioId', () => ID, { description: 'Portfolio id or code.' }) portfolioId: string,
    @Arg('date', () => DateScalar, { nullable: true, description: 'Briefing date; the latest pack when omitted.' }) date?: string | null,
  ): Promise<MorningPack | null> {
    const pack = await morningPacks.getMorningPack(ctx.services, requireActor(ctx), { portfolioId, date });
    return pack && toMorningPack(pack);
  }

  @Query(() => [MorningPack], { description: 'Stored morning packs of a portfolio in [from, to], newest first.' })
  async morningPackHistory(
    @Ctx() ctx: Context,
    @Arg('portfolioId', () => ID, { description: 'Portfolio id or code.' }) portfolioId: string,
    @Arg('from', () => DateScalar, { nullable: true, description: 'First briefing date, inclusive; unbounded when omitted.' }) from?: string | null,
    @Arg('to', () => DateScalar, { nullable: true, description: 'Last briefing date, inclusive; unbounded when omitted.' }) to?: string | null,
    @Arg('limit', () => Int, { nullable: true, defaultValue: 30, description: '1..366.' }) limit?: number | null,
  ): Promise<MorningPack[]> {
    const packs = await morningPacks.getMorningPackHistory(ctx.services, requireActor(ctx), { portfolioId, from, to, limit });
    return packs.map(toMorningPack);
  }

  @Mutation(() => MorningPack, {
    description:
      'Builds and stores the morning pack of a date (MANAGER, RISK_OFFICER, ADMIN). Returns the stored pack of that ' +
      'date unchanged unless force is true.',
  })
  async generateMorningPack(
    @Ctx() ctx: Context,
    @Arg('input', () => GenerateMorningPackInput) input: GenerateMorningPackInput,
  ): Promise<MorningPack> {
    return toMorningPack(await morningPacks.generateMorningPack(ctx.services, requireActor(ctx), input));
  }
}
