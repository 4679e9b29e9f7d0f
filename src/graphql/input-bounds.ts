import {
  defaultFieldResolver, getNamedType, isInputObjectType, isListType, isNonNullType, isScalarType, type GraphQLArgument, type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import { Extensions } from 'type-graphql';
import { EARLIEST_DATE, LATEST_DATE } from '../domain/dates';
import { Decimal } from '../domain/decimal';
import { InvalidInput } from '../domain/errors';
import { requireActor, type Context } from './context';

/**
 * Input bounds: what the columns and the transport can hold, checked on the coerced arguments of
 * every root field before its resolver (and so before a write hashes or stores anything). The
 * same check sees a literal and a variable, so both answer alike: BAD_USER_INPUT with the field.
 * Business rules (a notional above 0, a thesis of 5 characters) stay in the services.
 *
 * Every string (ID and String, in arguments, inputs, lists and JSON) is refused with a NUL
 * character (Postgres text cannot hold one) and above its maximum length; every list above its
 * maximum number of items; every Decimal with more digits than its column; every timestamp
 * outside the accepted dates. Defaults apply wherever a field declares nothing (`@Bounded`).
 */
export interface InputBounds {
  /** Strings, and each string of a list: at most this many characters (default STRING_MAX_LENGTH). */
  readonly maxLength?: number;
  /** Lists: at most this many items; JSON objects: at most this many keys (default LIST_MAX_ITEMS). */
  readonly maxItems?: number;
  /** Decimals: the column they are stored in, numeric(precision, scale). */
  readonly numeric?: NumericColumn;
  /** JSON objects: true when every value must be a number (a map such as strategyWeights). */
  readonly numbersOnly?: boolean;
}

export interface NumericColumn {
  readonly precision: number;
  readonly scale: number;
}

/** Ids, codes, tickers, sources, idempotency keys: anything that is not free text. */
export const STRING_MAX_LENGTH = 128;
/** Free text: a thesis, notes, outcome notes. */
export const TEXT_MAX_LENGTH = 4_000;
export const LIST_MAX_ITEMS = 100;

/** The numeric columns of the migrations that inputs are stored in. */
export const NUMERIC = {
  /** notional_brl, suggested_notional_brl, execution_notional_brl */
  money: { precision: 20, scale: 2 },
  /** entry_price, close_price, execution_price, market_prices.close, quantity */
  price: { precision: 24, scale: 8 },
  /** entry_fx_rate, pnl_snapshots.fx_rate */
  fxRate: { precision: 16, scale: 8 },
  /** rate_pct */
  ratePct: { precision: 12, scale: 6 },
} as const satisfies Record<string, NumericColumn>;

const EXTENSION = 'inputBounds';

/** Declares the bounds of an input field (read back from the schema's field extensions). */
export function Bounded(bounds: InputBounds): PropertyDecorator {
  return Extensions({ [EXTENSION]: bounds });
}

const EARLIEST_INSTANT = Date.parse(`${EARLIEST_DATE}T00:00:00Z`);
const LATEST_INSTANT = Date.parse(`${LATEST_DATE}T23:59:59.999Z`);

type Segment = string | number;

/**
 * The field a client sees in `extensions.field`: the argument of a query (`asOf`), the path inside
 * `input` for a mutation (`notionalBrl`, `signals[2].conviction`), as the services name them.
 */
export function fieldPath(segments: readonly Segment[]): string {
  const named = segments.length > 1 && segments[0] === 'input' ? segments.slice(1) : segments;
  return named.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

function refuse(path: readonly Segment[], what: string): never {
  const field = fieldPath(path);
  throw new InvalidInput(field, `${field} ${what}`);
}

function checkString(value: string, path: readonly Segment[], maxLength: number): void {
  if (value.length > maxLength) refuse(path, `must have at most ${maxLength} characters`);
  if (value.includes('\u0000')) refuse(path, 'must not contain NUL characters');
}

function checkNumeric(value: Decimal, path: readonly Segment[], column: NumericColumn): void {
  if (!value.isFinite()) refuse(path, 'must be a finite number');
  if (value.decimalPlaces() > column.scale) refuse(path, `may have at most ${column.scale} decimal places`);
  const integerDigits = value.isZero() ? 0 : Math.max(0, value.e + 1);
  const allowed = column.precision - column.scale;
  if (integerDigits > allowed) refuse(path, `may have at most ${allowed} digits before the decimal point`);
}

/** JSON is bounded in depth and size by its scalar already; here its strings, keys and shape. */
function checkJson(value: Record<string, unknown>, path: Segment[], bounds: InputBounds | undefined): void {
  const keys = Object.keys(value);
  const maxItems = bounds?.maxItems ?? LIST_MAX_ITEMS;
  if (keys.length > maxItems) refuse(path, `may hold at most ${maxItems} keys`);
  for (const key of keys) {
    path.push(key);
    checkString(key, path, STRING_MAX_LENGTH);
    const item = value[key];
    if (bounds?.numbersOnly && (typeof item !== 'number' || !Number.isFinite(item))) refuse(path, 'must be a number');
    if (typeof item === 'string') checkString(item, path, STRING_MAX_LENGTH);
    else if (Array.isArray(item)) item.forEach((v, i) => checkJsonItem(v, [...path, i]));
    else if (item !== null && typeof item === 'object') checkJson(item as Record<string, unknown>, path, undefined);
    path.pop();
  }
}

function checkJsonItem(value: unknown, path: Segment[]): void {
  if (typeof value === 'string') checkString(value, path, STRING_MAX_LENGTH);
  else if (Array.isArray(value)) value.forEach((v, i) => checkJsonItem(v, [...path, i]));
  else if (value !== null && typeof value === 'object') checkJson(value as Record<string, unknown>, path, undefined);
}

function check(type: GraphQLInputType, value: unknown, path: Segment[], bounds: InputBounds | undefined): void {
  if (value === null || value === undefined) return;
  if (isNonNullType(type)) return check(type.ofType, value, path, bounds);
  if (isListType(type)) {
    const items = value as readonly unknown[];
    const maxItems = bounds?.maxItems ?? LIST_MAX_ITEMS;
    if (items.length > maxItems) refuse(path, `may hold at most ${maxItems} items`);
    items.forEach((item, i) => {
      path.push(i);
      check(type.ofType, item, path, bounds);
      path.pop();
    });
    return;
  }
  if (isInputObjectType(type)) {
    const object = value as Readonly<Record<string, unknown>>;
    for (const field of Object.values(type.getFields())) {
      path.push(field.name);
      check(field.type, object[field.name], path, field.extensions[EXTENSION] as InputBounds | undefined);
      path.pop();
    }
    return;
  }
  if (!isScalarType(type)) return;
  switch (type.name) {
    case 'String':
    case 'ID':
      if (typeof value === 'string') checkString(value, path, bounds?.maxLength ?? STRING_MAX_LENGTH);
      return;
    case 'Decimal':
      if (bounds?.numeric && Decimal.isDecimal(value)) checkNumeric(value, path, bounds.numeric);
      return;
    case 'DateTimeISO':
      if (value instanceof Date && !(value.getTime() >= EARLIEST_INSTANT && value.getTime() <= LATEST_INSTANT)) {
        refuse(path, `must be between ${EARLIEST_DATE} and ${LATEST_DATE}`);
      }
      return;
    case 'JSONObject':
      checkJson(value as Record<string, unknown>, path, bounds);
      return;
    default:
      // Int, Float, Boolean, Date (its scalar checks the range): nothing beyond the type.
      return;
  }
}

/**
 * Every Decimal an input can carry says which column it goes to: a field without bounds would
 * take any number of digits (the silent rounding this check exists to refuse), so the schema is
 * not built. Also catches TypeGraphQL 2.0 dropping the extensions of inherited input fields.
 */
function assertDecimalsBounded(schema: GraphQLSchema): void {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isInputObjectType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      const bounds = field.extensions[EXTENSION] as InputBounds | undefined;
      if (getNamedType(field.type).name === 'Decimal' && !bounds?.numeric) {
        throw new Error(`${type.name}.${field.name} is a Decimal input without @Bounded({ numeric }): declare its column`);
      }
    }
  }
}

/** Throws InvalidInput (BAD_USER_INPUT, with the field) at the first argument out of bounds. */
export function checkArguments(definitions: readonly GraphQLArgument[], values: Readonly<Record<string, unknown>>): void {
  for (const argument of definitions) {
    check(argument.type, values[argument.name], [argument.name], argument.extensions[EXTENSION] as InputBounds | undefined);
  }
}

/**
 * Checks the arguments of every root field before its resolver, once wrapped at schema build (no
 * field below the root takes arguments). The token comes first (ARCHITECTURE.md, invariant 8): a
 * caller without one learns nothing of the bounds. A cached field's identify runs before this
 * wrapper, and resolves the portfolio only after the services have checked the reference.
 */
export function enforceInputBounds(schema: GraphQLSchema): GraphQLSchema {
  assertDecimalsBounded(schema);
  for (const root of [schema.getQueryType(), schema.getMutationType()]) {
    for (const field of Object.values(root?.getFields() ?? {})) {
      if (field.args.length === 0) continue;
      const resolve = field.resolve ?? defaultFieldResolver;
      const args = field.args;
      field.resolve = (source, values: Record<string, unknown>, context: Context, info) => {
        requireActor(context);
        checkArguments(args, values);
        return resolve(source, values, context, info);
      };
    }
  }
  return schema;
}
