import { GraphQLScalarType, Kind } from 'graphql';
import { D, Decimal } from '../../domain/decimal';

const DECIMAL_TEXT = /^-?\d+(\.\d+)?$/;

function parse(value: unknown): Decimal {
  // Strings are the exact form; integers are accepted for convenience. Floats are refused: a
  // JSON float may already have lost digits before it reached us.
  if (typeof value === 'string' && DECIMAL_TEXT.test(value.trim())) return new D(value.trim());
  if (typeof value === 'number' && Number.isSafeInteger(value)) return new D(value);
  throw new TypeError(`Decimal must be a decimal string such as "1234.56" (got ${JSON.stringify(value)})`);
}

/** Exact decimal (money, prices, notionals), serialized as a string so no digit is lost. */
export const DecimalScalar = new GraphQLScalarType<Decimal, string>({
  name: 'Decimal',
  description: 'An exact decimal number serialized as a string, e.g. "1234.56". Money is in the named currency.',
  serialize(value) {
    if (Decimal.isDecimal(value)) return value.toFixed();
    if (typeof value === 'string' || typeof value === 'number') return new D(value).toFixed();
    throw new TypeError(`Decimal cannot serialize ${typeof value}`);
  },
  parseValue: parse,
  parseLiteral(ast) {
    if (ast.kind === Kind.STRING) return parse(ast.value);
    if (ast.kind === Kind.INT) return parse(Number(ast.value));
    throw new TypeError('Decimal literal must be a string such as "1234.56" or an integer');
  },
});
