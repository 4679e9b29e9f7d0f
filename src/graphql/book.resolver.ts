import { Arg, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import type { Book as BookModel } from '../domain/book';
import type { Portfolio as PortfolioModel } from '../domain/types';
import { getBook } from '../services/book.service';
import { rememberedPortfolio } from '../services/portfolios.service';
import { Book } from './book.type';
import { requireActor, type Context } from './context';
import { Portfolio } from './portfolio.type';
import { DateScalar } from './scalars/date.scalar';

@Resolver(() => Book)
export class BookResolver {
  @Query(() => Book, {
    description:
      'The book of a portfolio: open positions, exposure by asset class, leverage and P&L. asOf defaults to today; ' +
      'a past asOf is point-in-time, rebuilt from the P&L snapshots of that date.',
  })
  book(
    @Ctx() ctx: Context,
    @Arg('portfolioId', () => ID, { description: 'Portfolio id or code.' }) portfolioId: string,
    @Arg('asOf', () => DateScalar, { nullable: true, description: 'Defaults to today; may not be after it.' }) asOf?: string | null,
  ): Promise<BookModel> {
    return getBook(ctx.services, requireActor(ctx), { portfolioId, asOf });
  }

  @FieldResolver(() => Portfolio)
  portfolio(@Root() book: BookModel, @Ctx() ctx: Context): Promise<PortfolioModel | null> {
    // The portfolio the book was authorized for, already remembered by that check: no statement.
    return rememberedPortfolio(ctx.services.portfolios, book.portfolioId);
  }
}
