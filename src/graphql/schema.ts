import { specifiedDirectives, type GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { cachedDirective } from '../resolver-cache';
import './enums';
import { enforceInputBounds } from './input-bounds';
import { AttributionResolver } from './attribution.resolver';
import { BookResolver } from './book.resolver';
import { JournalResolver } from './journal.resolver';
import { MorningPackResolver } from './morning-pack.resolver';
import { PortfolioResolver } from './portfolio.resolver';
import { PositionResolver } from './position.resolver';
import { ProposalResolver } from './proposal.resolver';
import { RiskResolver } from './risk.resolver';

export const RESOLVERS = [
  PortfolioResolver,
  PositionResolver,
  ProposalResolver,
  JournalResolver,
  BookResolver,
  RiskResolver,
  AttributionResolver,
  MorningPackResolver,
] as const;

/**
 * Builds the executable schema from the TypeGraphQL classes (also used to print schema.graphql),
 * with the input bounds checked before every root resolver.
 */
export async function buildGatewaySchema(): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: [...RESOLVERS],
    validate: false,
    // The given list replaces graphql's own: @include, @skip, @deprecated and the rest stay in it.
    directives: [...specifiedDirectives, cachedDirective],
    // Nullability is declared field by field; nothing is nullable by accident.
    nullableByDefault: false,
  });
  return enforceInputBounds(schema);
}
