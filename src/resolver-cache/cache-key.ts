import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { canonicalJson } from '../shared/canonical-json';

function sha256(input: string): string {
  return createHash('sha256').update(input).digest('base64url');
}

/** Inputs longer than this are hashed every time and never remembered. */
export const MAX_REMEMBERED_KEY_INPUT_CHARS = 1_024;

/**
 * SHA-256 digests (base64url) of recent key inputs: a key asked for again (every hit of an
 * operation, the field key a miss computes twice) costs a map lookup instead of a hash (~2 µs on
 * the development machine). At most `maxEntries` inputs of at most MAX_REMEMBERED_KEY_INPUT_CHARS
 * are kept, the least recently used going first past that (an LRU).
 */
export class KeyDigests {
  private readonly known: LRUCache<string, string>;

  constructor(
    maxEntries = 4_096,
    private readonly hash: (input: string) => string = sha256,
  ) {
    this.known = new LRUCache<string, string>({ max: maxEntries });
  }

  /** Inputs remembered now. */
  get size(): number {
    return this.known.size;
  }

  of(input: string): string {
    const known = this.known.get(input);
    if (known !== undefined) return known;
    const digest = this.hash(input);
    if (input.length > MAX_REMEMBERED_KEY_INPUT_CHARS) return digest;
    this.known.set(input, digest);
    return digest;
  }
}

/**
 * The base key of a cached value: a pure function of the schema coordinate, the normalized
 * arguments and the scope. Hashed, so keys stay short whatever the arguments; `digests` remembers
 * recent ones (the key is the same with or without it).
 */
export function baseKey(coordinate: string, args: Readonly<Record<string, unknown>>, scope: string, digests?: KeyDigests): string {
  const input = `${coordinate}\n${canonicalJson(args)}\n${scope}`;
  return digests === undefined ? sha256(input) : digests.of(input);
}
