import { Arg, Ctx, ID, Int, Query, Resolver } from 'type-graphql';
import type { JournalEntry as JournalEntryModel, JournalEntryType } from '../domain/types';
import { journalIntegrity, journalPage } from '../services/journal.service';
import { mayRead } from '../services/portfolios.service';
import { requireActor, type Context } from './context';
import { JournalEntryTypeEnum } from './enums';
import { JournalEntry, JournalIntegrity, JournalPage } from './journal-entry.type';

@Resolver(() => JournalEntry)
export class JournalResolver {
  @Query(() => JournalPage, { description: 'The decision journal of a portfolio, newest first, filtered and paginated.' })
  async journal(
    @Ctx() ctx: Context,
    @Arg('portfolioId', () => ID) portfolioId: string,
    @Arg('types', () => [JournalEntryTypeEnum], { nullable: true }) types?: JournalEntryType[] | null,
    @Arg('positionId', () => ID, { nullable: true }) positionId?: string | null,
    @Arg('proposalId', () => ID, { nullable: true }) proposalId?: string | null,
    @Arg('from', () => Date, { nullable: true, description: 'Entries created at or after.' }) from?: Date | null,
    @Arg('to', () => Date, { nullable: true, description: 'Entries created before.' }) to?: Date | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 50 }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ) {
    const page = await journalPage(ctx.services, requireActor(ctx), {
      portfolioId, types, positionId, proposalId, from, to, first, after,
    });
    return { entries: page.entries, pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor } };
  }

  @Query(() => JournalEntry, { nullable: true })
  async journalEntry(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<JournalEntryModel | null> {
    const actor = requireActor(ctx);
    const entry = await ctx.loaders.journalEntry.load(id);
    // Another fund's journal entry answers exactly as an unknown id: null, naming nothing.
    if (!entry || !(await mayRead(ctx.services.portfolios, actor, entry.portfolioId))) return null;
    return entry;
  }

  @Query(() => JournalIntegrity, { description: "Verifies the portfolio's journal: hash chain, MAC chain and anchors." })
  journalIntegrity(
    @Ctx() ctx: Context,
    @Arg('portfolioId', () => ID) portfolioId: string,
    @Arg('anchors', () => [String], { nullable: true, description: 'Anchors kept outside the database, as `anchor` or verify-journal print them.' })
    anchors?: string[] | null,
  ) {
    return journalIntegrity(ctx.services, requireActor(ctx), portfolioId, anchors ?? []);
  }
}
