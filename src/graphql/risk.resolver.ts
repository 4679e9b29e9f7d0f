import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import type { RiskLive as RiskLiveModel } from '../domain/risk';
import type { RiskSnapshot as RiskSnapshotModel } from '../domain/types';
import { getRiskLive, getRiskTrend } from '../services/risk.service';
import { requireActor, type Context } from './context';
import { RiskLive, RiskSnapshot } from './risk.type';
import { DateScalar } from './scalars/date.scalar';

@Resolver(() => RiskLive)
export class RiskResolver {
  @Query(() => RiskLive, {
    description:
      'Live risk of a portfolio: VaR, leverage, drawdown, concentration, stress tests and limit checks. asOf defaults ' +
      "to today; a past asOf is point-in-time (positions as of that date from the P&L snapshots). Records the day's " +
      'risk snapshot.',
  })
  riskLive(
    @Ctx() ctx: Context,
    @Arg('portfolioId', () => ID, { description: 'Portfolio id or code.' }) portfolioId: string,
    @Arg('asOf', () => DateScalar, { nullable: true, description: 'Defaults to today; may not be after it.' }) asOf?: string | null,
  ): Promise<RiskLiveModel> {
    return getRiskLive(ctx.services, requireActor(ctx), { portfolioId, asOf });
  }

  @Query(() => [RiskSnapshot], {
    description: 'The stored daily risk snapshots of a portfolio in [from, to], oldest first; only days on which live risk was read have one.',
  })
  riskTrend(
    @Ctx() ctx: Context,
    @Arg('portfolioId', () => ID, { description: 'Portfolio id or code.' }) portfolioId: string,
    @Arg('from', () => DateScalar, { nullable: true, description: 'Defaults to 90 days before to.' }) from?: string | null,
    @Arg('to', () => DateScalar, { nullable: true, description: 'Defaults to today.' }) to?: string | null,
  ): Promise<RiskSnapshotModel[]> {
    return getRiskTrend(ctx.services, requireActor(ctx), { portfolioId, from, to });
  }
}
