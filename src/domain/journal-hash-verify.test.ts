import { anchorMac, chainHash, entryMac, journalKey, journalKeyId } from './journal-hash';
import { JournalKeyring } from './journal-hash-keys';
import { formatAnchor, parseAnchor, verifyJournalLinks, type JournalAnchor, type StoredJournalLink } from './journal-hash-verify';

const KEY = 'unit-test-journal-key-unit-test-journal-key';
const OTHER = 'another-journal-key-another-journal-key-0000';
const keyring = new JournalKeyring(KEY);
const PORTFOLIO = '6f1c2a7e-0000-4000-8000-000000000001';

/** A chain sealed as journal.repository.ts seals it: ids 101.., sha256 and MAC chained. */
function chain(n: number, secret = KEY): StoredJournalLink[] {
  const key = journalKey(secret);
  const links: StoredJournalLink[] = [];
  let previousHash: string | null = null;
  let previousMac: string | null = null;
  for (let i = 0; i < n; i += 1) {
    const id = String(101 + i);
    const content = { portfolioId: PORTFOLIO, type: 'NOTE', managerNotes: `note ${i}`, createdAt: `2026-12-0${1 + (i % 5)}T10:00:00.000Z` };
    const contentHash = chainHash(previousHash, content);
    const mac = entryMac(key, { entryId: id, previousMac, content });
    links.push({ id, content, contentHash, previousHash, mac, keyId: key.id });
    previousHash = contentHash;
    previousMac = mac;
  }
  return links;
}

/** What an attacker without the key can do: recompute every sha256 from `from` on, keep the MACs. */
function rehash(links: StoredJournalLink[], from: number): StoredJournalLink[] {
  const out = links.slice(0, from);
  let previous = out.at(-1)?.contentHash ?? null;
  for (const link of links.slice(from)) {
    const contentHash = chainHash(previous, link.content);
    out.push({ ...link, previousHash: previous, contentHash });
    previous = contentHash;
  }
  return out;
}

function storedAnchor(links: readonly StoredJournalLink[], length: number, secret = KEY): JournalAnchor {
  const head = links[length - 1];
  const content = { portfolioId: PORTFOLIO, length, headEntryId: head?.id ?? null, headMac: head?.mac ?? null, createdAt: new Date('2026-12-05T09:00:00Z') };
  const key = journalKey(secret);
  return { source: 'database', ...content, keyId: key.id, mac: anchorMac(key, content) };
}

describe('verifyJournalLinks', () => {
  it('finds an intact chain valid, with its head and the anchors checked', () => {
    const links = chain(5);
    const report = verifyJournalLinks(links, [storedAnchor(links, 3), storedAnchor(links, 5)], keyring);
    expect(report).toEqual({ entries: 5, head: { length: 5, entryId: '105', mac: links[4]?.mac }, anchorsChecked: 2, firstBreak: null });
  });

  it('reports an edited entry that was not re-hashed as CONTENT_EDITED at its sequence', () => {
    const links = chain(5);
    links[2] = { ...links[2]!, content: { ...links[2]!.content, managerNotes: 'rewritten' } };
    expect(verifyJournalLinks(links, [], keyring).firstBreak).toMatchObject({ kind: 'CONTENT_EDITED', sequence: 3, entryId: '103' });
  });

  it('reports an edited entry re-hashed onwards (the sha256 chain holds) as MAC_MISMATCH at the edit', () => {
    const links = chain(5);
    links[2] = { ...links[2]!, content: { ...links[2]!.content, managerNotes: 'rewritten' } };
    const forged = rehash(links, 2);
    // The attack works against the hash chain alone: every link and hash is consistent.
    forged.forEach((l, i) => expect(l.previousHash).toBe(i === 0 ? null : forged[i - 1]!.contentHash));
    expect(verifyJournalLinks(forged, [], keyring).firstBreak).toMatchObject({ kind: 'MAC_MISMATCH', sequence: 3, entryId: '103' });
  });

  it('reports a removed middle entry as LINK_BROKEN, and as MAC_MISMATCH once re-hashed', () => {
    const links = chain(5);
    const gap = [...links.slice(0, 2), ...links.slice(3)];
    expect(verifyJournalLinks(gap, [], keyring).firstBreak).toMatchObject({ kind: 'LINK_BROKEN', sequence: 3, entryId: '104' });
    expect(verifyJournalLinks(rehash(gap, 2), [], keyring).firstBreak).toMatchObject({ kind: 'MAC_MISMATCH', sequence: 3, entryId: '104' });
  });

  it('reports a MAC stripped, and a MAC of a key it does not hold', () => {
    const links = chain(3);
    expect(verifyJournalLinks([links[0]!, { ...links[1]!, mac: null }, links[2]!], [], keyring).firstBreak).toMatchObject({ kind: 'MAC_MISSING', sequence: 2 });
    const foreign = chain(3, OTHER);
    expect(verifyJournalLinks(foreign, [], keyring).firstBreak).toMatchObject({ kind: 'KEY_UNKNOWN', sequence: 1 });
    // After a rotation the retired key still verifies what it sealed.
    expect(verifyJournalLinks(foreign, [], new JournalKeyring(KEY, [OTHER])).firstBreak).toBeNull();
  });

  it('reports deleted newest entries against a stored or an external anchor as TAIL_MISSING', () => {
    const links = chain(6);
    const anchor = storedAnchor(links, 6);
    const truncated = links.slice(0, 4);
    expect(verifyJournalLinks(truncated, [], keyring).firstBreak).toBeNull();
    expect(verifyJournalLinks(truncated, [anchor], keyring).firstBreak).toMatchObject({ kind: 'TAIL_MISSING', sequence: 5, entryId: null });
    const external: JournalAnchor = { source: 'external', portfolioId: PORTFOLIO, length: 6, headMac: links[5]!.mac };
    expect(verifyJournalLinks(truncated, [external], keyring).firstBreak?.detail).toMatch(/recorded 6 entries, the journal has 4: entries 5\.\.6 were deleted/);
  });

  it('reports a chain replaced under an anchor as ANCHOR_MISMATCH, and an edited stored anchor as ANCHOR_INVALID', () => {
    const links = chain(4);
    const external: JournalAnchor = { source: 'external', portfolioId: PORTFOLIO, length: 4, headMac: links[3]!.mac };
    const other = chain(4, OTHER);
    // A chain entirely resealed with another key the verifier holds: valid links, but not the anchored head.
    expect(verifyJournalLinks(other, [external], new JournalKeyring(KEY, [OTHER])).firstBreak).toMatchObject({ kind: 'ANCHOR_MISMATCH', sequence: 4 });
    const anchor = storedAnchor(links, 4);
    const shortened = { ...anchor, length: 2, headEntryId: '102', headMac: links[1]!.mac };
    expect(verifyJournalLinks(links, [shortened], keyring).firstBreak).toMatchObject({ kind: 'ANCHOR_INVALID', sequence: 2 });
  });
});

describe('printed anchors', () => {
  it('round-trip through formatAnchor and parseAnchor, with or without the leading word', () => {
    const mac = 'a'.repeat(64);
    expect(parseAnchor(formatAnchor('RATES_BR_01', 12, mac))).toEqual({ portfolio: 'RATES_BR_01', length: 12, headMac: mac });
    expect(parseAnchor(`anchor ${formatAnchor('EMPTY', 0, null)}`)).toEqual({ portfolio: 'EMPTY', length: 0, headMac: null });
  });

  it('refuses what is not an anchor', () => {
    for (const bad of ['X:1', 'X:one:' + 'a'.repeat(64), 'X:1:' + 'a'.repeat(63), 'X:0:' + 'a'.repeat(64), 'X:3:-', 'X Y:1:' + 'a'.repeat(64)]) {
      expect(parseAnchor(bad)).toBeNull();
    }
  });
});

describe('journal keys', () => {
  it('are named by an id derived from the secret, which does not contain it', () => {
    expect(journalKeyId(KEY)).toMatch(/^k[0-9a-f]{16}$/);
    expect(journalKeyId(KEY)).toBe(journalKeyId(KEY));
    expect(journalKeyId(KEY)).not.toBe(journalKeyId(OTHER));
    expect(new JournalKeyring(KEY, [OTHER, KEY]).retired.map((k) => k.id)).toEqual([journalKeyId(OTHER)]);
  });
});
