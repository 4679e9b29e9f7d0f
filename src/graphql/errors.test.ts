import { getVariableValues, GraphQLError, Kind, parse, validate, type OperationDefinitionNode } from 'graphql';
import { NotFound, PreTradeLimitBreached } from '../domain/errors';
import { createFormatError } from './errors';
import { buildGatewaySchema } from './schema';

/** A logger that records what it was asked to log. */
function recordingLogger() {
  const lines: { obj: object; msg: string }[] = [];
  return { lines, error: (obj: object, msg: string) => lines.push({ obj, msg }) };
}

/** What graphql-js hands formatError for an error thrown in a resolver at `path`. */
function resolverError(original: Error): GraphQLError {
  return new GraphQLError(original.message, { path: ['book'], originalError: original });
}

describe('formatError', () => {
  it('exposes a domain error with its code and details, and logs nothing', () => {
    const logger = recordingLogger();
    const error = resolverError(new PreTradeLimitBreached('NOTIONAL', 60_000_000, 50_000_000));
    const formatted = createFormatError(logger)(error.toJSON(), error);
    expect(formatted).toMatchObject({
      message: 'Pre-trade check NOTIONAL failed: 60000000 against limit 50000000',
      path: ['book'],
      extensions: { code: 'PRE_TRADE_LIMIT_BREACHED', check: 'NOTIONAL', value: 60_000_000, limit: 50_000_000 },
    });
    expect(logger.lines).toHaveLength(0);
    const notFound = resolverError(new NotFound('Position', 'p1'));
    expect(createFormatError(logger)(notFound.toJSON(), notFound).extensions).toEqual({ code: 'NOT_FOUND', entity: 'Position', id: 'p1' });
  });

  it('masks an unknown error as INTERNAL_SERVER_ERROR and logs it under the errorId it returns', () => {
    const logger = recordingLogger();
    const error = resolverError(new Error('connection to 10.0.0.5 refused, password=hunter2'));
    const formatted = createFormatError(logger)(error.toJSON(), error);
    expect(formatted.message).not.toContain('hunter2');
    expect(formatted.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    const errorId = formatted.extensions?.errorId;
    expect(typeof errorId).toBe('string');
    expect(logger.lines).toEqual([{ obj: expect.objectContaining({ errorId, path: ['book'] }), msg: 'unhandled error in resolver' }]);
  });

  it('passes validation errors through and labels argument coercion failures BAD_USER_INPUT', () => {
    const logger = recordingLogger();
    const validation = new GraphQLError('Cannot query field "nope"', { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    expect(createFormatError(logger)(validation.toJSON(), validation).extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const coercion = new GraphQLError('Variable "$x" got invalid value "abc"; Decimal must be a decimal string');
    expect(createFormatError(logger)(coercion.toJSON(), coercion).extensions?.code).toBe('BAD_USER_INPUT');
    expect(logger.lines).toHaveLength(0);
  });

  it('answers a value refused as a literal and the same value in a variable alike: BAD_USER_INPUT, its reason, the field', async () => {
    const schema = await buildGatewaySchema();
    const format = createFormatError(recordingLogger());
    const input = 'portfolioId: "F", ticker: "T", direction: LONG, entryPrice: "1", thesis: "abcde"';
    const literal = parse(`mutation { openPosition(input: { ${input}, notionalBrl: "1,5" }) { id } }`);
    const [invalid] = validate(schema, literal);
    // As Apollo hands it over: its ValidationError keeps the nodes and the original error.
    const validation = new GraphQLError(invalid!.message, {
      nodes: invalid!.nodes, originalError: invalid!.originalError ?? invalid, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    const variable = parse('mutation ($input: OpenPositionInput!) { openPosition(input: $input) { id } }');
    const operation = variable.definitions[0] as OperationDefinitionNode;
    expect(operation.kind).toBe(Kind.OPERATION_DEFINITION);
    const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], {
      input: { portfolioId: 'F', ticker: 'T', direction: 'LONG', entryPrice: '1', thesis: 'abcde', notionalBrl: '1,5' },
    });
    const coercion = coerced.errors![0]!;
    const expected = {
      message: 'Decimal must be a decimal string such as "1234.56" (got "1,5")',
      extensions: { code: 'BAD_USER_INPUT', field: 'notionalBrl' },
    };
    expect(format(validation.toJSON(), validation)).toMatchObject(expected);
    expect(format(coercion.toJSON(), coercion)).toMatchObject(expected);
  });
});
