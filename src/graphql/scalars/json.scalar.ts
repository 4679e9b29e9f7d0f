export { GraphQLJSONObject as JSONObjectScalar } from 'graphql-scalars';
