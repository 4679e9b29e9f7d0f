import { createHash } from 'node:crypto';
import { canonicalJson } from '../shared/canonical-json';

/**
 * sha256 over the previous entry's hash and the entry's canonical JSON (src/shared: keys sorted,
 * so the order in which an entry's fields were assembled never changes its hash): the journal's
 * hash chain.
 */
export function chainHash(previousHash: string | null, content: Readonly<Record<string, unknown>>): string {
  return createHash('sha256')
    .update(previousHash ?? 'GENESIS')
    .update('\n')
    .update(canonicalJson(content))
    .digest('hex');
}
