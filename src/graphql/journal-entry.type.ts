import { Field, ID, Int, ObjectType } from 'type-graphql';
import type { Decimal } from '../domain/decimal';
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

@ObjectType({ description: "Result of recomputing a portfolio's journal hash chain." })
export class JournalIntegrity {
  @Field(() => Int)
  entries!: number;

  @Field(() => Boolean)
  valid!: boolean;

  @Field(() => ID, { nullable: true, description: 'First entry whose hash or link does not match.' })
  brokenAt!: string | null;
}
