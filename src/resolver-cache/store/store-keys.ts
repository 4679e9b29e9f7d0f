/**
 * Key layout and request rules shared by the store adapters.
 *
 * Redis keys (the `{…}` is a Cluster hash tag: every key of one tag lives in one slot, so a Lua
 * script can read a request's generations and its entry on one node in one round trip):
 *
 *   <prefix>:{<tag>}:g:<fact>                        generation counter, no TTL
 *   <prefix>:{<tag>}:v:<baseKey>:<g1>.<g2>…          entry, TTL = the type's TTL
 *   <prefix>:lock:<name>                             lock (acquireLock), value = owner, TTL = its hold
 *
 * The tag is percent-encoded for `%`, `{` and `}`: a `}` inside it would end the hash tag early.
 * Nothing after the tag needs escaping: `:g:` and `:v:` keep counters and entries apart, and the
 * generation list after the entry's last `:` is digits and dots only.
 */

export const DEFAULT_KEY_PREFIX = 'rc';

/** An empty tag would make `{}` an empty hash tag, which Cluster ignores (keys spread over slots). */
export function assertTag(tag: string): void {
  if (tag.length === 0) throw new RangeError('cache store: tag must not be empty');
}

/**
 * The TTL of an entry in ms, from the port's seconds (fractions allowed, rounded to the ms, at
 * least 1 ms); null when the TTL is not positive, meaning "store nothing".
 */
export function ttlSecondsToMs(ttlSeconds: number): number | null {
  if (!(ttlSeconds > 0) || !Number.isFinite(ttlSeconds)) return null;
  return Math.max(1, Math.round(ttlSeconds * 1000));
}

export function redisTagPrefix(tag: string, prefix = DEFAULT_KEY_PREFIX): string {
  assertTag(tag);
  return `${prefix}:{${tag.replace(/[%{}]/g, encodeChar)}}`;
}

export function redisGenerationKey(tag: string, fact: string, prefix = DEFAULT_KEY_PREFIX): string {
  return `${redisTagPrefix(tag, prefix)}:g:${fact}`;
}

/** The entry key without its generation suffix; the lookup script appends `:<g1>.<g2>…`. */
export function redisEntryKeyBase(tag: string, baseKey: string, prefix = DEFAULT_KEY_PREFIX): string {
  return `${redisTagPrefix(tag, prefix)}:v:${baseKey}`;
}

export function redisEntryKey(
  tag: string,
  baseKey: string,
  generations: readonly number[],
  prefix = DEFAULT_KEY_PREFIX,
): string {
  return `${redisEntryKeyBase(tag, baseKey, prefix)}:${generations.join('.')}`;
}

/** Outside every hash tag: a lock is one key, in whatever slot it falls. */
export function redisLockKey(name: string, prefix = DEFAULT_KEY_PREFIX): string {
  return `${prefix}:lock:${name}`;
}

/** A lock's hold in ms, validated: the port asks for a positive integer. */
export function assertLockTtl(ttlMs: number): void {
  if (!Number.isInteger(ttlMs) || ttlMs <= 0) throw new RangeError(`cache store: lock ttlMs must be a positive integer, got ${ttlMs}`);
}

function encodeChar(char: string): string {
  return `%${char.charCodeAt(0).toString(16).toUpperCase()}`;
}
