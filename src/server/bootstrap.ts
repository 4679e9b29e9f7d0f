import type { Knex } from 'knex';
import { migrateLatest } from '../data/db';
import { countPortfolios } from '../data/portfolio.repository';
import { seedDemo } from '../data/seeds/demo';
import { businessDayOnOrBefore, today, type Clock } from '../domain/dates';
import type { Actor } from '../services/access';
import { noChangeListener } from '../services/deps';
import { PortfolioDirectory } from '../services/portfolios.service';
import { generateMorningPack } from '../services/morning-pack.service';

/** The identity that system jobs (seed, scheduled packs) act as; recorded on what they write. */
export const SYSTEM_ACTOR: Actor = { id: 'system:bootstrap', role: 'ADMIN', portfolios: '*' };

export async function migrate(db: Knex, log: (line: string) => void): Promise<void> {
  log('database: applying migrations…');
  const applied = await migrateLatest(db);
  log(applied.length === 0 ? 'database: schema up to date' : `database: applied ${applied.length} migrations (${applied.join(', ')})`);
}

/**
 * Seeds the demo funds and their morning packs on the latest business day. Idempotent: funds that
 * exist are left alone, and a pack of the day is generated only if missing.
 */
export async function seed(db: Knex, clock: Clock, log: (line: string) => void): Promise<void> {
  const asOf = businessDayOnOrBefore(today(clock));
  log(`seed: demo funds with history up to ${asOf}…`);
  const started = Date.now();
  const { portfolioIds, skipped } = await seedDemo(db, { asOf, log: (line) => log(`seed: ${line}`) });
  for (const portfolioId of portfolioIds) {
    await generateMorningPack({ db, clock, changes: noChangeListener, portfolios: new PortfolioDirectory(db, clock) }, SYSTEM_ACTOR, { portfolioId, date: asOf });
  }
  log(skipped ? 'seed: nothing to do' : `seed: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** At start: migrate, then seed the demo when asked to and the database has no portfolio yet. */
export async function prepareDatabase(db: Knex, clock: Clock, seedDemoData: boolean, log: (line: string) => void): Promise<void> {
  await migrate(db, log);
  if (seedDemoData && (await countPortfolios(db)) === 0) await seed(db, clock, log);
}
