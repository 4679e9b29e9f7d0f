import { randomBytes } from 'node:crypto';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { DomainError } from '../domain/errors';
import { describeInputError } from './error-field';

export interface ErrorLogger {
  error(obj: object, msg: string): void;
}

/** Codes GraphQL itself (or Apollo) produces for requests that never reached a resolver. */
const PASS_THROUGH = new Set([
  'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT', 'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED', 'OPERATION_RESOLUTION_FAILURE', 'BAD_REQUEST',
]);

/**
 * The one translation point from thrown errors to what clients see. Domain errors keep their
 * message and code (plus their details); GraphQL's own request errors pass through; anything else
 * is masked as INTERNAL_SERVER_ERROR and logged with the request id so it can be found.
 */
export function createFormatError(logger: ErrorLogger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof DomainError) {
      return {
        message: original.message,
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code: original.code, ...original.details },
      };
    }
    const code = formatted.extensions?.code;
    // A value its type refuses answers alike as a literal (a validation error) and in a variable (a
    // coercion error): BAD_USER_INPUT, the reason without the value echoed around it, and the field.
    if (original instanceof GraphQLError && (code === 'GRAPHQL_VALIDATION_FAILED' || code === 'BAD_USER_INPUT')) {
      const input = describeInputError(original, code);
      if (input) {
        return { message: input.message, locations: formatted.locations, extensions: { code: 'BAD_USER_INPUT', field: input.field } };
      }
    }
    if (typeof code === 'string' && PASS_THROUGH.has(code)) return formatted;
    // Other variable coercion failures come as plain GraphQLErrors.
    if (original instanceof GraphQLError && !original.originalError) {
      return { ...formatted, extensions: { ...formatted.extensions, code: 'BAD_USER_INPUT' } };
    }
    const errorId = randomBytes(4).toString('hex');
    logger.error({ err: original, errorId, path: formatted.path }, 'unhandled error in resolver');
    return {
      message: `Internal server error (ref ${errorId})`,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: 'INTERNAL_SERVER_ERROR', errorId },
    };
  };
}
