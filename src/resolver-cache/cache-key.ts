import { createHash } from 'node:crypto';

/** JSON with sorted keys, so argument order never changes a key. */
export function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
}

/**
 * The base key of a cached value: a pure function of the schema coordinate, the normalized
 * arguments and the scope. Hashed, so keys stay short whatever the arguments.
 */
export function baseKey(coordinate: string, args: Readonly<Record<string, unknown>>, scope: string): string {
  return createHash('sha256').update(coordinate).update('\n').update(stableJson(args)).update('\n').update(scope).digest('base64url');
}
