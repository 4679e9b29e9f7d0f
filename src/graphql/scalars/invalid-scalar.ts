import { GraphQLError, Kind, type ValueNode } from 'graphql';

/**
 * A value its scalar refuses (a malformed Decimal, a Date out of range, JSON nested too deep),
 * thrown by parseValue and parseLiteral. graphql-js reports it as a validation error for a literal
 * and as a coercion error for a variable; errors.ts answers both alike: BAD_USER_INPUT, this
 * message, and the argument or input field at fault.
 */
export class InvalidScalarValue extends GraphQLError {
  constructor(message: string, node?: ValueNode) {
    // The node gives a literal's location, from which errors.ts finds the field.
    super(message, { nodes: node, extensions: { code: 'BAD_USER_INPUT' } });
  }
}

const SHOWN_MAX = 40;

/** A refused value as a message shows it: JSON, cut short, so that a huge value is never echoed whole. */
export function shown(value: unknown): string {
  const json = typeof value === 'string' ? JSON.stringify(value.slice(0, SHOWN_MAX + 1)) : JSON.stringify(value) ?? String(value);
  return json.length > SHOWN_MAX ? `${json.slice(0, SHOWN_MAX)}…` : json;
}

/**
 * The value a literal would have as a variable, so that a scalar refuses both with one message:
 * strings, numbers and booleans as JSON has them; anything else (a list, an object, an enum)
 * as undefined, which no scalar here accepts.
 */
export function literalValue(ast: ValueNode): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.NULL:
      return null;
    default:
      return undefined;
  }
}

/** Runs a scalar's parse on a literal, reporting a refusal on the literal's node (its location). */
export function parseLiteralWith<T>(parse: (value: unknown) => T, ast: ValueNode): T {
  try {
    return parse(literalValue(ast));
  } catch (error) {
    throw error instanceof InvalidScalarValue ? new InvalidScalarValue(error.message, ast) : error;
  }
}
