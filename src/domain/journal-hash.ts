import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalJson } from '../shared/canonical-json';

/**
 * sha256 over the previous entry's hash and the entry's canonical JSON (src/shared: keys sorted,
 * so the order in which an entry's fields were assembled never changes its hash): the journal's
 * hash chain. It proves order to anyone, and nothing against someone who can write the table:
 * anyone can recompute it. The MAC below is what a writer without the key cannot recompute.
 */
export function chainHash(previousHash: string | null, content: Readonly<Record<string, unknown>>): string {
  return createHash('sha256')
    .update(previousHash ?? 'GENESIS')
    .update('\n')
    .update(canonicalJson(content))
    .digest('hex');
}

/** A journal key: the secret (from JOURNAL_KEY, never in the database) and its public id. */
export interface JournalKey {
  /** Derived from the secret (journalKeyId): stored on each entry, so a rotation knows which key sealed it. */
  readonly id: string;
  readonly secret: string;
}

/**
 * The id of a key: 'k' and 16 hex digits of an HMAC of a fixed label under the key. Derived, not
 * chosen, so two different keys never share an id by an operator's slip; one-way, so the id
 * tells nothing of the secret.
 */
export function journalKeyId(secret: string): string {
  return `k${createHmac('sha256', secret).update('pms-journal-key-id').digest('hex').slice(0, 16)}`;
}

export function journalKey(secret: string): JournalKey {
  return { id: journalKeyId(secret), secret };
}

/** What an entry's MAC covers, besides the key id. */
export interface EntryMacInput {
  /** The entry's sequence number (journal_entries.id): renumbering an entry breaks its MAC. */
  readonly entryId: string;
  /** The MAC of the portfolio's previous entry (null for the first): the keyed chain. */
  readonly previousMac: string | null;
  /** The entry's hashed content (portfolio, type, ids, money as stored, notes, actor, time). */
  readonly content: Readonly<Record<string, unknown>>;
}

/**
 * HMAC-SHA256 of an entry under the journal key, chained to the previous entry's MAC. Whoever
 * edits an entry, or removes one from the middle, and recomputes every later sha256 (which the
 * hash chain lets anyone do) cannot recompute these without the key. The format label keeps a
 * MAC from ever equalling an anchor's MAC over the same bytes.
 */
export function entryMac(key: JournalKey, input: EntryMacInput): string {
  return hmac(key, {
    format: 'pms-journal-entry/1',
    keyId: key.id,
    entryId: input.entryId,
    previousMac: input.previousMac,
    content: input.content,
  });
}

/** The state of a portfolio's journal at one moment: its length and its last entry's MAC. */
export interface AnchorContent {
  readonly portfolioId: string;
  /** Entries in the chain at that moment. */
  readonly length: number;
  /** The last entry's id and MAC (null when the journal was empty). */
  readonly headEntryId: string | null;
  readonly headMac: string | null;
  readonly createdAt: Date;
}

/** The MAC of an anchor: a stored anchor that was edited (a shorter length, another head) fails it. */
export function anchorMac(key: JournalKey, anchor: AnchorContent): string {
  return hmac(key, {
    format: 'pms-journal-anchor/1',
    keyId: key.id,
    portfolioId: anchor.portfolioId,
    length: anchor.length,
    headEntryId: anchor.headEntryId,
    headMac: anchor.headMac,
    createdAt: anchor.createdAt.toISOString(),
  });
}

function hmac(key: JournalKey, value: Readonly<Record<string, unknown>>): string {
  return createHmac('sha256', key.secret).update(canonicalJson(value)).digest('hex');
}

/**
 * Whether a stored MAC equals the expected one, in time that does not depend on where they differ
 * (`journalIntegrity` answers over the network: no timing tells how much of a forged MAC is right).
 */
export function macEquals(expected: string, actual: string | null): boolean {
  if (actual === null || actual.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(expected), Buffer.from(actual));
}
