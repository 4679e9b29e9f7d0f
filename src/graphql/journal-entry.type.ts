import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { Decimal } from '../domain/decimal';
import { JOURNAL_BREAK_KINDS, type JournalBreakKind } from '../domain/journal-hash-verify';
import { DirectionEnum, JournalEntryTypeEnum } from './enums';
import { DecimalScalar } from './scalars/decimal.scalar';

@ObjectType({ description: 'An entry of the append-only decision journal, hash-chained per portfolio.' })
export class JournalEntry {
  @Field(() => ID, { description: 'Monotonic sequence number.' })
  id!: string;

  @Field(() => ID)
  portfolioId!: string;

  @Field(() => JournalEntryTypeEnum)
  type!: string;

  @Field(() => ID, { nullable: true })
  positionId!: string | null;

  @Field(() => ID, { nullable: true })
  proposalId!: string | null;

  @Field(() => DirectionEnum, { nullable: true })
  direction!: string | null;

  @Field(() => DecimalScalar, { nullable: true })
  notionalBrl!: Decimal | null;

  @Field(() => DecimalScalar, { nullable: true })
  price!: Decimal | null;

  @Field(() => String, { nullable: true })
  managerNotes!: string | null;

  @Field(() => String, { nullable: true })
  systemNotes!: string | null;

  @Field(() => String, { description: 'The user who made the change.' })
  actor!: string;

  @Field(() => String, { description: "sha256 of the entry's canonical JSON chained to the previous hash." })
  contentHash!: string;

  @Field(() => String, { nullable: true })
  previousHash!: string | null;

  @Field(() => Date)
  createdAt!: Date;
}

@ObjectType()
export class JournalPageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Pass as `after` to read the next page.' })
  endCursor!: string | null;
}

@ObjectType({ description: 'A page of journal entries, newest first.' })
export class JournalPage {
  @Field(() => [JournalEntry])
  entries!: JournalEntry[];

  @Field(() => JournalPageInfo)
  pageInfo!: JournalPageInfo;
}

export const JournalBreakKindEnum = Object.fromEntries(JOURNAL_BREAK_KINDS.map((k) => [k, k])) as { [K in JournalBreakKind]: K };
registerEnumType(JournalBreakKindEnum, {
  name: 'JournalBreakKind',
  description: 'What is wrong at the first broken link of a journal.',
  valuesConfig: {
    CONTENT_EDITED: { description: 'The stored content no longer gives its stored hash.' },
    LINK_BROKEN: { description: "previous_hash is not the previous entry's hash: an entry was removed or reordered." },
    MAC_MISSING: { description: 'The entry carries no MAC.' },
    KEY_UNKNOWN: { description: "Sealed with a key the gateway does not hold (JOURNAL_RETIRED_KEYS after a rotation)." },
    MAC_MISMATCH: { description: 'The hash chain holds but the MAC does not: rewritten and re-hashed without the journal key.' },
    TAIL_MISSING: { description: 'An anchor recorded more entries than there are: the newest were deleted.' },
    ANCHOR_MISMATCH: { description: 'The entry at an anchor\'s length is not the head it recorded: the chain was replaced.' },
    ANCHOR_INVALID: { description: "A stored anchor's own MAC fails: it was edited or forged." },
  },
});

@ObjectType({ description: 'The first broken link of a journal.' })
export class JournalBreak {
  @Field(() => JournalBreakKindEnum)
  kind!: JournalBreakKind;

  @Field(() => Int, { description: "1-based position in the portfolio's chain; for TAIL_MISSING the first missing one." })
  sequence!: number;

  @Field(() => ID, { nullable: true, description: 'The entry at that position (null when missing).' })
  entryId!: string | null;

  @Field(() => String)
  detail!: string;
}

@ObjectType({
  description:
    "Result of verifying a portfolio's journal: the hash chain, the keyed MAC chain (JOURNAL_KEY), the anchors stored with each morning pack and the anchors given.",
})
export class JournalIntegrity {
  @Field(() => Int)
  entries!: number;

  @Field(() => Boolean)
  valid!: boolean;

  @Field(() => ID, { nullable: true, description: 'First entry whose hash, link or MAC does not match (firstBreak.entryId).' })
  brokenAt!: string | null;

  @Field(() => JournalBreak, { nullable: true })
  firstBreak!: JournalBreak | null;

  @Field(() => Int, { description: 'Anchors checked: stored ones and those given.' })
  anchorsChecked!: number;

  @Field(() => String, {
    nullable: true,
    description: '`<code>:<length>:<head MAC>` when valid: keep it outside the database and pass it back in `anchors`.',
  })
  anchor!: string | null;
}
