import { developmentJournalKeyring, type JournalKeyring } from '../domain/journal-hash-keys';

/**
 * The keyring the journal seals and verifies with, installed once by each entry point (app.ts and
 * cli.ts, from JOURNAL_KEY) before anything is written. Process-wide, like pg's type parsers in
 * db.ts, rather than threaded through every write: a dozen call sites append to the journal, and a
 * key is configuration of the process, not of a request. Until installed it is the public
 * development key, which configuration refuses in production, and whose id on an entry shows.
 */
let installed: JournalKeyring = developmentJournalKeyring();

export function installJournalKeyring(keyring: JournalKeyring): void {
  installed = keyring;
}

export function journalKeyring(): JournalKeyring {
  return installed;
}
