import type { Knex } from 'knex';
import { anchorMac, type AnchorContent } from '../domain/journal-hash';
import type { JournalKeyring } from '../domain/journal-hash-keys';
import type { JournalAnchor } from '../domain/journal-hash-verify';
import { timestamp, type Row } from './rows';

/** Why an anchor was written. */
export type AnchorReason = 'MORNING_PACK' | 'SEAL';

export type StoredAnchor = Extract<JournalAnchor, { source: 'database' }> & { readonly id: string; readonly reason: AnchorReason };

function toAnchor(row: Row): StoredAnchor {
  return {
    source: 'database',
    id: String(row.id),
    portfolioId: String(row.portfolio_id),
    length: Number(row.length),
    headEntryId: row.head_entry_id == null ? null : String(row.head_entry_id),
    headMac: row.head_mac == null ? null : String(row.head_mac).trim(),
    createdAt: timestamp(row.created_at),
    keyId: String(row.key_id),
    mac: String(row.mac).trim(),
    reason: row.reason as AnchorReason,
  };
}

/**
 * Records a portfolio's journal length and head, MAC'd with the current key, in journal_anchors
 * (append-only, like the journal). Whoever later deletes the newest entries cannot write a
 * shorter anchor to match without the key; deleting anchors too is what the printed anchors of
 * verify-journal, kept outside the database, are for.
 */
export async function insertJournalAnchor(
  trx: Knex,
  keyring: JournalKeyring,
  content: Omit<AnchorContent, 'createdAt'> & { readonly createdAt: Date },
  reason: AnchorReason,
): Promise<StoredAnchor> {
  // Milliseconds: what the MAC saw is exactly what timestamptz stores and gives back.
  const createdAt = new Date(content.createdAt.getTime());
  const key = keyring.current;
  const [row] = await trx('journal_anchors')
    .insert({
      portfolio_id: content.portfolioId,
      length: content.length,
      head_entry_id: content.headEntryId,
      head_mac: content.headMac,
      key_id: key.id,
      mac: anchorMac(key, { ...content, createdAt }),
      reason,
      created_at: createdAt,
    })
    .returning('*');
  return toAnchor(row as Row);
}

/** Every stored anchor of a portfolio, oldest first. */
export async function listJournalAnchors(db: Knex, portfolioId: string): Promise<StoredAnchor[]> {
  return (await db('journal_anchors').where({ portfolio_id: portfolioId }).orderBy('id')).map(toAnchor);
}
