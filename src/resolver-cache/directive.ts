import { getDirective } from '@graphql-tools/utils';
import {
  DirectiveLocation, GraphQLDirective, GraphQLInt, GraphQLNonNull, type GraphQLField, type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';

export const CACHED_DIRECTIVE_NAME = 'cached';

/**
 * `@cached(ttl: Int!)` on an object type caches every field that returns the type; on a field it
 * caches that field (and overrides the type's TTL). Declared in the schema so it shows in
 * `schema.graphql` and in Sandbox.
 */
export const cachedDirective = new GraphQLDirective({
  name: CACHED_DIRECTIVE_NAME,
  description: 'Cache the values of this type (or field) for `ttl` seconds, invalidated when the facts they depend on change.',
  locations: [DirectiveLocation.OBJECT, DirectiveLocation.FIELD_DEFINITION],
  args: {
    ttl: { type: new GraphQLNonNull(GraphQLInt), description: 'Time to live in seconds.' },
  },
});

/** The `@cached` TTL declared on a type or field, if any. */
export function cachedTtl(
  schema: GraphQLSchema,
  node: GraphQLNamedType | GraphQLField<unknown, unknown>,
): number | undefined {
  const [usage] = getDirective(schema, node, CACHED_DIRECTIVE_NAME) ?? [];
  const ttl: unknown = usage?.ttl;
  return typeof ttl === 'number' ? ttl : undefined;
}
