import { GraphQLScalarType, Kind } from 'graphql';
import { isIsoDate, type IsoDate } from '../../domain/dates';

function parse(value: unknown): IsoDate {
  if (typeof value === 'string' && isIsoDate(value)) return value;
  throw new TypeError(`Date must be an ISO calendar date YYYY-MM-DD (got ${JSON.stringify(value)})`);
}

/** A business date, not a timestamp: `YYYY-MM-DD`. */
export const DateScalar = new GraphQLScalarType<IsoDate, string>({
  name: 'Date',
  description: 'A calendar date in ISO format, YYYY-MM-DD (a business date, not a timestamp).',
  serialize(value) {
    if (value instanceof Date) return value.toISOString().slice(0, 10);
    return parse(value);
  },
  parseValue: parse,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw new TypeError('Date literal must be a string YYYY-MM-DD');
    return parse(ast.value);
  },
});
