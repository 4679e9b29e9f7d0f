import { GraphQLScalarType } from 'graphql';
import { D, Decimal } from '../../domain/decimal';
import { InvalidScalarValue, parseLiteralWith, shown } from './invalid-scalar';

const DECIMAL_TEXT = /^-?\d+(\.\d+)?$/;

/**
 * Longer text is refused before it is parsed: the widest column, numeric(24,8), needs 26
 * characters. The precision and scale of each field are checked against its column afterwards
 * (input-bounds.ts), where the field is known.
 */
export const DECIMAL_MAX_CHARS = 40;

function parse(value: unknown): Decimal {
  // Strings are the exact form; integers are accepted for convenience. Floats are refused: a
  // JSON float may already have lost digits before it reached us.
  if (typeof value === 'string') {
    if (value.length > DECIMAL_MAX_CHARS) throw new InvalidScalarValue(`Decimal must have at most ${DECIMAL_MAX_CHARS} characters`);
    const text = value.trim();
    if (DECIMAL_TEXT.test(text)) return new D(text);
  }
  if (typeof value === 'number' && Number.isSafeInteger(value)) return new D(value);
  throw new InvalidScalarValue(`Decimal must be a decimal string such as "1234.56" (got ${shown(value)})`);
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
  parseLiteral: (ast) => parseLiteralWith(parse, ast),
});
