import { createHash } from 'node:crypto';

/**
 * Canonical JSON: object keys sorted, no whitespace, undefined dropped. Two entries with the same
 * content always hash the same, whatever order their fields were assembled in.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  // Values with their own JSON form (Decimal, Date) hash as that form, not as their internals.
  const toJson = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof toJson === 'function') return JSON.stringify(toJson.call(value));
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** sha256 over the previous entry's hash and the entry's canonical JSON: the journal's hash chain. */
export function chainHash(previousHash: string | null, content: Readonly<Record<string, unknown>>): string {
  return createHash('sha256')
    .update(previousHash ?? 'GENESIS')
    .update('\n')
    .update(canonicalJson(content))
    .digest('hex');
}
