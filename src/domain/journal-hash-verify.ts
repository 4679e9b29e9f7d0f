import { DomainError } from './errors';
import { anchorMac, chainHash, entryMac, macEquals, type AnchorContent } from './journal-hash';
import type { JournalKeyring } from './journal-hash-keys';

/** One journal entry as stored, with the content its hashes cover (journal.repository.ts builds it). */
export interface StoredJournalLink {
  readonly id: string;
  readonly content: Readonly<Record<string, unknown>>;
  readonly contentHash: string;
  readonly previousHash: string | null;
  readonly mac: string | null;
  readonly keyId: string | null;
}

/**
 * A recorded state of a portfolio's journal. `database` anchors were written by the gateway (with
 * each morning pack) and carry their own MAC; `external` ones were printed by verify-journal and
 * kept elsewhere by a person, so they need none: the database never held them.
 */
export type JournalAnchor =
  | (AnchorContent & { readonly source: 'database'; readonly keyId: string; readonly mac: string })
  | { readonly source: 'external'; readonly portfolioId: string; readonly length: number; readonly headMac: string | null };

export const JOURNAL_BREAK_KINDS = [
  'CONTENT_EDITED', 'LINK_BROKEN', 'MAC_MISSING', 'KEY_UNKNOWN', 'MAC_MISMATCH',
  'TAIL_MISSING', 'ANCHOR_MISMATCH', 'ANCHOR_INVALID',
] as const;
/**
 * What is wrong at a broken link:
 * - CONTENT_EDITED: the stored content no longer gives the stored sha256 (edited, not re-hashed);
 * - LINK_BROKEN: previous_hash is not the previous entry's hash (an entry removed or reordered);
 * - MAC_MISSING: no MAC on an entry (MACs are on every entry since the keyed chain's migration);
 * - KEY_UNKNOWN: sealed by a key this keyring does not hold (JOURNAL_RETIRED_KEYS after a rotation);
 * - MAC_MISMATCH: the sha256 chain holds but the MAC does not: content or order rewritten and
 *   re-hashed by someone without the key;
 * - TAIL_MISSING: an anchor recorded more entries than there are (the newest were deleted);
 * - ANCHOR_MISMATCH: the entry at an anchor's length is not the head it recorded (chain replaced);
 * - ANCHOR_INVALID: a stored anchor's own MAC fails (edited, forged, or an unknown key).
 */
export type JournalBreakKind = (typeof JOURNAL_BREAK_KINDS)[number];

export interface JournalBreak {
  readonly kind: JournalBreakKind;
  /** 1-based position in the portfolio's chain; for TAIL_MISSING, the first missing position. */
  readonly sequence: number;
  /** The entry at that position (null when it is missing). */
  readonly entryId: string | null;
  readonly detail: string;
}

export interface JournalHead {
  readonly length: number;
  readonly entryId: string;
  readonly mac: string;
}

export interface JournalReport {
  readonly entries: number;
  /** The last entry's position, id and MAC (null for an empty journal, or a last entry without MAC). */
  readonly head: JournalHead | null;
  readonly anchorsChecked: number;
  /** The first broken link in chain order; anchors are checked against a chain intact up to them. */
  readonly firstBreak: JournalBreak | null;
}

/**
 * Walks one portfolio's chain from the first entry: each entry's sha256 over its content, its link
 * to the previous hash, its key and its MAC chained to the previous MAC; then every anchor. Stops
 * at the first broken link: past it, nothing is trustworthy and every later link would fail too.
 */
export function verifyJournalLinks(
  entries: readonly StoredJournalLink[],
  anchors: readonly JournalAnchor[],
  keyring: JournalKeyring,
): JournalReport {
  let previousHash: string | null = null;
  let previousMac: string | null = null;
  for (const [index, e] of entries.entries()) {
    const sequence = index + 1;
    const broken = (kind: JournalBreakKind, detail: string): JournalReport => ({
      entries: entries.length,
      head: null,
      anchorsChecked: 0,
      firstBreak: { kind, sequence, entryId: e.id, detail },
    });
    if (e.previousHash !== previousHash) {
      return broken('LINK_BROKEN', `previous_hash ${short(e.previousHash)} is not the hash ${short(previousHash)} of the entry before it: an entry was removed or reordered`);
    }
    if (chainHash(e.previousHash, e.content) !== e.contentHash) {
      return broken('CONTENT_EDITED', 'the stored content does not give the stored content_hash: the entry was edited');
    }
    if (e.mac === null || e.keyId === null) return broken('MAC_MISSING', 'the entry carries no MAC');
    const key = keyring.key(e.keyId);
    if (!key) return broken('KEY_UNKNOWN', `sealed with key ${e.keyId}, which this keyring does not hold (set JOURNAL_RETIRED_KEYS after a rotation)`);
    if (!macEquals(entryMac(key, { entryId: e.id, previousMac, content: e.content }), e.mac)) {
      return broken('MAC_MISMATCH', 'the hash chain holds but the MAC does not: content or order rewritten and re-hashed without the journal key');
    }
    previousHash = e.contentHash;
    previousMac = e.mac;
  }
  const last = entries.at(-1);
  const head = last?.mac ? { length: entries.length, entryId: last.id, mac: last.mac } : null;
  for (const anchor of anchors) {
    const anchorBreak = checkAnchor(entries, anchor, keyring);
    if (anchorBreak) return { entries: entries.length, head, anchorsChecked: anchors.length, firstBreak: anchorBreak };
  }
  return { entries: entries.length, head, anchorsChecked: anchors.length, firstBreak: null };
}

function checkAnchor(entries: readonly StoredJournalLink[], anchor: JournalAnchor, keyring: JournalKeyring): JournalBreak | null {
  const what = anchor.source === 'database'
    ? `the anchor of ${anchor.createdAt.toISOString()}`
    : 'the external anchor';
  if (anchor.source === 'database') {
    const key = keyring.key(anchor.keyId);
    if (!key || !macEquals(anchorMac(key, anchor), anchor.mac)) {
      return {
        kind: 'ANCHOR_INVALID',
        sequence: anchor.length,
        entryId: anchor.headEntryId,
        detail: `${what} fails its MAC${key ? '' : ` (key ${anchor.keyId} unknown)`}: it was edited or forged`,
      };
    }
  }
  if (anchor.length === 0) return null;
  if (anchor.length > entries.length) {
    return {
      kind: 'TAIL_MISSING',
      sequence: entries.length + 1,
      entryId: null,
      detail: `${what} recorded ${anchor.length} entries, the journal has ${entries.length}: entries ${entries.length + 1}..${anchor.length} were deleted`,
    };
  }
  const at = entries[anchor.length - 1];
  const idDiffers = anchor.source === 'database' && at?.id !== anchor.headEntryId;
  if (!at || anchor.headMac === null || !macEquals(anchor.headMac, at.mac) || idDiffers) {
    return {
      kind: 'ANCHOR_MISMATCH',
      sequence: anchor.length,
      entryId: at?.id ?? null,
      detail: `${what} recorded head ${short(anchor.headMac)} at sequence ${anchor.length}; the journal has ${short(at?.mac ?? null)} there: the chain was replaced`,
    };
  }
  return null;
}

function short(hash: string | null): string {
  return hash === null ? 'none' : `${hash.slice(0, 12)}…`;
}

/** An anchor as verify-journal prints it and takes it back: `<portfolio>:<length>:<head MAC>`. */
export interface PrintedAnchor {
  /** A portfolio id or code. */
  readonly portfolio: string;
  readonly length: number;
  readonly headMac: string | null;
}

/** `head` is `-` for an empty journal. */
export function formatAnchor(portfolio: string, length: number, headMac: string | null): string {
  return `${portfolio}:${length}:${headMac ?? '-'}`;
}

/** Parses `<portfolio>:<length>:<head>` (an optional leading `anchor ` as printed); null when malformed. */
export function parseAnchor(text: string): PrintedAnchor | null {
  const match = /^(?:anchor\s+)?([A-Za-z0-9_.-]{1,64}):(\d{1,9}):([0-9a-f]{64}|-)$/.exec(text.trim());
  if (!match) return null;
  const length = Number(match[2]);
  const headMac = match[3] === '-' ? null : (match[3] ?? null);
  if ((length === 0) !== (headMac === null)) return null;
  return { portfolio: match[1] ?? '', length, headMac };
}

/** A morning pack refuses to anchor a journal whose chain is broken: anchoring it would bless it. */
export class JournalIntegrityBroken extends DomainError {
  readonly code = 'JOURNAL_INTEGRITY_BROKEN';
  constructor(readonly portfolioId: string, readonly broken: JournalBreak) {
    super(`Journal of portfolio ${portfolioId} is broken at sequence ${broken.sequence}: ${broken.kind}`, {
      portfolioId, sequence: broken.sequence, kind: broken.kind,
    });
  }
}

/** Entries written before the keyed chain are sealed once, and only if their sha256 chain holds. */
export class JournalSealRefused extends DomainError {
  readonly code = 'JOURNAL_SEAL_REFUSED';
  constructor(readonly portfolioId: string, readonly sequence: number, readonly entryId: string, reason: string) {
    super(`Cannot seal the journal of portfolio ${portfolioId} at sequence ${sequence} (entry ${entryId}): ${reason}`, {
      portfolioId, sequence, entryId,
    });
  }
}
