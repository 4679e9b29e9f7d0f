import { Field, ID, InputType } from 'type-graphql';
import { DateScalar } from './scalars/date.scalar';

@InputType({ description: 'Which morning pack to generate (MANAGER, RISK_OFFICER, ADMIN).' })
export class GenerateMorningPackInput {
  @Field(() => ID, { description: 'Portfolio id or code.' })
  portfolioId!: string;

  @Field(() => DateScalar, { nullable: true, description: 'Briefing date; defaults to today, never after it.' })
  date?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Rebuild and replace the pack of that date if one exists; otherwise it is returned as stored.' })
  force?: boolean | null;

  @Field(() => String, { nullable: true, description: 'A retry with the same key returns the first result and changes nothing.' })
  idempotencyKey?: string | null;
}
