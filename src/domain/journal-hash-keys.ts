import { journalKey, type JournalKey } from './journal-hash';

/**
 * The built-in development key: public (it is in this file), so it proves nothing; it lets a
 * laptop, the demo and the tests run with no configuration. Configuration refuses it in
 * production, and entries it sealed carry its id, so a production verify that does not hold it
 * reports them (KEY_UNKNOWN) rather than trusting them.
 */
export const DEV_JOURNAL_KEY = 'pms-journal-local-development-key-do-not-use-in-production';

/** Shortest accepted key: 32 characters (256 bits when random hex or base64 of 24+ bytes). */
export const JOURNAL_KEY_MIN_LENGTH = 32;

/**
 * The keys the journal knows: the current one seals new entries and anchors; retired ones (after a
 * rotation) still verify what they sealed. Looked up by the key id stored on each entry.
 */
export class JournalKeyring {
  readonly current: JournalKey;
  readonly retired: readonly JournalKey[];
  /** True when the current key is the public development key. */
  readonly usingDevKey: boolean;
  private readonly byId: ReadonlyMap<string, JournalKey>;

  constructor(currentSecret: string, retiredSecrets: readonly string[] = []) {
    this.current = journalKey(currentSecret);
    this.retired = retiredSecrets.map(journalKey).filter((k) => k.id !== this.current.id);
    this.usingDevKey = currentSecret === DEV_JOURNAL_KEY;
    this.byId = new Map([...this.retired, this.current].map((k) => [k.id, k]));
  }

  /** The key that sealed an entry or an anchor, by its id; undefined when this keyring lacks it. */
  key(id: string): JournalKey | undefined {
    return this.byId.get(id);
  }
}

export function developmentJournalKeyring(): JournalKeyring {
  return new JournalKeyring(DEV_JOURNAL_KEY);
}
