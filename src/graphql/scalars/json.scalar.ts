import { GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { InvalidScalarValue, literalValue, shown } from './invalid-scalar';

/**
 * Objects and lists nested deeper than this are refused as they are parsed, before anything walks
 * them recursively (hashing an idempotent request's arguments overflowed the stack at 5,000).
 * The fields that take JSON (strategyWeights) are flat; input-bounds.ts narrows them further.
 */
export const JSON_MAX_DEPTH = 5;
/** Values in one JSON argument, all levels together. */
export const JSON_MAX_VALUES = 1_000;

function tooDeep(node?: ValueNode): InvalidScalarValue {
  return new InvalidScalarValue(`JSONObject may nest objects and lists at most ${JSON_MAX_DEPTH} levels deep`, node);
}

function tooLarge(node?: ValueNode): InvalidScalarValue {
  return new InvalidScalarValue(`JSONObject may hold at most ${JSON_MAX_VALUES} values`, node);
}

/** Walks a parsed JSON value without recursion, refusing it past the depth or the count of values. */
function checkSize(root: unknown, rootDepth: number, counted: { values: number }, node?: ValueNode): void {
  const stack: (readonly [unknown, number])[] = [[root, rootDepth]];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [value, depth] = next;
    counted.values += 1;
    if (counted.values > JSON_MAX_VALUES) throw tooLarge(node);
    if (value === null || typeof value !== 'object') continue;
    if (depth > JSON_MAX_DEPTH) throw tooDeep(node);
    for (const child of Array.isArray(value) ? value : Object.values(value)) stack.push([child, depth + 1]);
  }
}

function parseValue(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidScalarValue(`JSONObject must be an object (got ${shown(value)})`);
  }
  checkSize(value, 1, { values: 0 });
  return value as Record<string, unknown>;
}

/** A literal to its value; recursion stops at the depth bound, so it never runs deep. */
function fromLiteral(
  ast: ValueNode,
  variables: Readonly<Record<string, unknown>> | null | undefined,
  depth: number,
  counted: { values: number },
): unknown {
  counted.values += 1;
  if (counted.values > JSON_MAX_VALUES) throw tooLarge(ast);
  switch (ast.kind) {
    case Kind.OBJECT:
      if (depth > JSON_MAX_DEPTH) throw tooDeep(ast);
      // fromEntries defines own properties: a "__proto__" key stays a key.
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, fromLiteral(f.value, variables, depth + 1, counted)]));
    case Kind.LIST:
      if (depth > JSON_MAX_DEPTH) throw tooDeep(ast);
      return ast.values.map((v) => fromLiteral(v, variables, depth + 1, counted));
    case Kind.VARIABLE: {
      const value = variables?.[ast.name.value];
      counted.values -= 1;
      checkSize(value, depth, counted, ast);
      return value;
    }
    case Kind.ENUM:
      throw new InvalidScalarValue(`JSONObject cannot hold the enum value ${ast.value}`, ast);
    default:
      // A string, number, boolean or null, as a variable would hold it.
      return literalValue(ast);
  }
}

/**
 * A JSON object, as graphql-scalars' JSONObject (same name, same wire format), bounded in depth
 * and size.
 */
export const JSONObjectScalar = new GraphQLScalarType<Record<string, unknown>, Record<string, unknown>>({
  name: 'JSONObject',
  description:
    'The `JSONObject` scalar type represents JSON objects as specified by ' +
    '[ECMA-404](http://www.ecma-international.org/publications/files/ECMA-ST/ECMA-404.pdf); ' +
    `as input, nested at most ${JSON_MAX_DEPTH} levels deep and holding at most ${JSON_MAX_VALUES} values.`,
  specifiedByURL: 'http://www.ecma-international.org/publications/files/ECMA-ST/ECMA-404.pdf',
  serialize(value) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TypeError('JSONObject cannot serialize a non-object');
    return value as Record<string, unknown>;
  },
  parseValue,
  parseLiteral(ast, variables) {
    if (ast.kind !== Kind.OBJECT) throw new InvalidScalarValue('JSONObject literal must be an object', ast);
    try {
      return fromLiteral(ast, variables, 1, { values: 0 }) as Record<string, unknown>;
    } catch (error) {
      // Reported on the whole object, as the same value in a variable is: the field is the argument's.
      throw error instanceof InvalidScalarValue ? new InvalidScalarValue(error.message, ast) : error;
    }
  },
});
