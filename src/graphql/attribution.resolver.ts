import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import type {
  Attribution as AttributionModel, AttributionPeriod, EquityPoint as EquityPointModel,
} from '../domain/attribution';
import { getAttribution, getEquityCurve } from '../services/attribution.service';
import { Attribution, EquityPoint } from './attribution.type';
import { requireActor, type Context } from './context';
import { AttributionPeriodEnum } from './enums';
import { DateScalar } from './scalars/date.scalar';

@Resolver(() => Attribution)
export class AttributionResolver {
  @Query(() => Attribution, {
    description:
      'P&L attribution of a period. Named periods end at asOf, which defaults to today (a past asOf reads the ' +
      'snapshots of that range, point-in-time); CUSTOM takes from and to, both required, at most 10 years apart unless ' +
      "from is on or after the portfolio's inception.",
  })
  attribution(
    @Ctx() ctx: Context,
    @Arg('portfolioId', () => ID, { description: 'Portfolio id or code.' }) portfolioId: string,
    @Arg('period', () => AttributionPeriodEnum) period: AttributionPeriod,
    @Arg('from', () => DateScalar, { nullable: true, description: 'CUSTOM only: first day, inclusive.' }) from?: string | null,
    @Arg('to', () => DateScalar, { nullable: true, description: 'CUSTOM only: last day, inclusive.' }) to?: string | null,
    @Arg('asOf', () => DateScalar, { nullable: true, description: 'End of the named periods; defaults to today, may not be after it.' })
    asOf?: string | null,
  ): Promise<AttributionModel> {
    return getAttribution(ctx.services, requireActor(ctx), { portfolioId, period, from, to, asOf });
  }

  @Query(() => [EquityPoint], {
    description: 'The equity curve (AUM + cumulative P&L) of a portfolio, one point per date with P&L in [from, to].',
  })
  equityCurve(
    @Ctx() ctx: Context,
    @Arg('portfolioId', () => ID, { description: 'Portfolio id or code.' }) portfolioId: string,
    @Arg('from', () => DateScalar, { nullable: true, description: "Defaults to the portfolio's inception date." }) from?: string | null,
    @Arg('to', () => DateScalar, { nullable: true, description: 'Defaults to today.' }) to?: string | null,
  ): Promise<EquityPointModel[]> {
    return getEquityCurve(ctx.services, requireActor(ctx), { portfolioId, from, to });
  }
}
