import { GraphQLScalarType } from 'graphql';
import { EARLIEST_DATE, isAcceptedDate, isIsoDate, LATEST_DATE, type IsoDate } from '../../domain/dates';
import { InvalidScalarValue, parseLiteralWith, shown } from './invalid-scalar';

const RANGE = `between ${EARLIEST_DATE} and ${LATEST_DATE}`;

function parse(value: unknown): IsoDate {
  if (typeof value === 'string' && isAcceptedDate(value)) return value;
  throw new InvalidScalarValue(`Date must be an ISO calendar date YYYY-MM-DD ${RANGE} (got ${shown(value)})`);
}

/** A business date, not a timestamp: `YYYY-MM-DD`, within the range every input date must be in. */
export const DateScalar = new GraphQLScalarType<IsoDate, string>({
  name: 'Date',
  description: `A calendar date in ISO format, YYYY-MM-DD (a business date, not a timestamp); as input, ${RANGE}.`,
  serialize(value) {
    if (value instanceof Date) return value.toISOString().slice(0, 10);
    // Stored dates are served as they are; the range applies to input only.
    if (typeof value === 'string' && isIsoDate(value)) return value;
    throw new TypeError(`Date cannot serialize ${shown(value)}`);
  },
  parseValue: parse,
  parseLiteral: (ast) => parseLiteralWith(parse, ast),
});
