import { Ctx, Query, Resolver } from 'type-graphql';
import type { Portfolio as PortfolioModel } from '../domain/types';
import { listReadablePortfolios } from '../services/portfolios.service';
import { requireActor, type Context } from './context';
import { Portfolio } from './portfolio.type';

@Resolver(() => Portfolio)
export class PortfolioResolver {
  @Query(() => [Portfolio], { description: 'The portfolios the caller is entitled to.' })
  portfolios(@Ctx() ctx: Context): Promise<PortfolioModel[]> {
    return listReadablePortfolios(ctx.services.db, requireActor(ctx));
  }
}
