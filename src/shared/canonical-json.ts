/**
 * Canonical JSON: one text per value, whatever order its object's keys were assembled in. The one
 * encoding for every value the project hashes or compares as text: the journal's hash chain,
 * idempotency request hashes and the cache plugin's keys.
 *
 * - Objects (plain or class instances): own enumerable string keys, sorted by UTF-16 code units,
 *   no whitespace; a key whose value is `undefined` is left out, as JSON.stringify does, so an
 *   optional argument given as undefined is the same as one not given.
 * - `Date`: its ISO string (`toISOString`, what `toJSON` gives). An invalid date is refused.
 * - decimal.js `Decimal`: its `toJSON()` string, the shortest exact digits ("1.5" for 1.50, "-0"
 *   for negative zero, exponent notation at 1e21 and above or 1e-7 and below under decimal.js's
 *   default `toExpPos`/`toExpNeg`), which is what the journal has always hashed. Recognized as
 *   `Decimal.isDecimal` recognizes it, by its `[object Decimal]` tag, so this module imports
 *   nothing. NaN and ±Infinity are refused.
 * - Any other object with a `toJSON` method: the canonical JSON of what that returns (JSON's rule).
 * - Strings, booleans, null and finite numbers: as JSON.stringify writes them.
 *
 * Refused with a CanonicalJsonError naming where: `undefined` on its own or in an array,
 * functions, symbols, bigints, NaN and ±Infinity, cycles, and objects JSON would flatten to `{}`
 * or worse (Map, Set, RegExp, Error, typed arrays and the like): a value that cannot be told
 * apart from another by its text must not share its hash or its cache entry.
 */
export function canonicalJson(value: unknown): string {
  return encode(value, []);
}

/** A value canonicalJson cannot encode; `path` says where (`$` is the value given). */
export class CanonicalJsonError extends Error {
  override readonly name = 'CanonicalJsonError';

  constructor(
    readonly reason: string,
    readonly path = '$',
  ) {
    super(`canonicalJson cannot encode ${reason} at ${path}`);
  }

  /** The same refusal, seen from the container that holds the value under `key`. */
  under(key: string | number): CanonicalJsonError {
    const step = typeof key === 'number' ? `[${key}]` : /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
    return new CanonicalJsonError(this.reason, `$${step}${this.path.slice(1)}`);
  }
}

const tagOf = (value: object): string => Object.prototype.toString.call(value);

interface DecimalLike {
  isFinite(): boolean;
  toJSON(): string;
}

function isDecimal(value: object): value is DecimalLike {
  const d = value as Partial<Record<keyof DecimalLike, unknown>>;
  return typeof d.isFinite === 'function' && typeof d.toJSON === 'function';
}

function encode(value: unknown, ancestors: object[]): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(`the number ${value}`);
      return JSON.stringify(value);
    case 'object':
      return value === null ? 'null' : encodeObject(value, ancestors);
    case 'undefined':
      // Reached only on its own or in an array: an object's undefined members are left out.
      throw new CanonicalJsonError('undefined');
    case 'bigint':
      throw new CanonicalJsonError('a bigint');
    case 'function':
      throw new CanonicalJsonError('a function');
    case 'symbol':
      throw new CanonicalJsonError('a symbol');
  }
}

function encodeObject(value: object, ancestors: object[]): string {
  // By tag, not instanceof: a Date or Decimal from another realm or another copy of decimal.js
  // (each clone has its own constructor) is still one.
  const tag = tagOf(value);
  if (tag === '[object Date]') {
    const date = value as Date;
    if (Number.isNaN(date.getTime())) throw new CanonicalJsonError('an invalid Date');
    return `"${date.toISOString()}"`;
  }
  if (tag === '[object Decimal]' && isDecimal(value)) {
    if (!value.isFinite()) throw new CanonicalJsonError(`the decimal ${value.toJSON()}`);
    return JSON.stringify(value.toJSON());
  }
  if (ancestors.includes(value)) throw new CanonicalJsonError('a cycle');
  ancestors.push(value);
  try {
    if (Array.isArray(value)) {
      const items: string[] = [];
      for (let i = 0; i < value.length; i++) items.push(encodeMember(value[i], i, ancestors));
      return `[${items.join(',')}]`;
    }
    const toJson = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJson === 'function') return encode(toJson.call(value, ''), ancestors);
    if (tag !== '[object Object]') {
      const kind = tag.slice('[object '.length, -1);
      throw new CanonicalJsonError(`an object of type ${kind}`);
    }
    const record = value as Record<string, unknown>;
    const members: string[] = [];
    // Default sort: UTF-16 code units, the order of `<` on strings.
    for (const key of Object.keys(record).sort()) {
      const member = record[key];
      if (member !== undefined) members.push(`${JSON.stringify(key)}:${encodeMember(member, key, ancestors)}`);
    }
    return `{${members.join(',')}}`;
  } finally {
    ancestors.pop();
  }
}

function encodeMember(value: unknown, key: string | number, ancestors: object[]): string {
  try {
    return encode(value, ancestors);
  } catch (error) {
    throw error instanceof CanonicalJsonError ? error.under(key) : error;
  }
}
