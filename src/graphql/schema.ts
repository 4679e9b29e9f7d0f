import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import './enums';
import { JournalResolver } from './journal.resolver';
import { PortfolioResolver } from './portfolio.resolver';
import { PositionResolver } from './position.resolver';
import { ProposalResolver } from './proposal.resolver';

export const RESOLVERS = [
  PortfolioResolver,
  PositionResolver,
  ProposalResolver,
  JournalResolver,
] as const;

/** Builds the executable schema from the TypeGraphQL classes (also used to print schema.graphql). */
export function buildGatewaySchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [...RESOLVERS],
    validate: false,
    // Nullability is declared field by field; nothing is nullable by accident.
    nullableByDefault: false,
  });
}
