import { resolvePeriod, type AttributionPeriod, type PeriodRange } from '../domain/attribution';
import { today, type Clock } from '../domain/dates';
import type { Portfolio } from '../domain/types';
import type { CachePolicy, FieldPolicy, Identity } from '../resolver-cache';
import { attributionOf } from '../services/attribution.service';
import { loadBook } from '../services/book.service';
import type { ServiceDeps, WriteOperation } from '../services/deps';
import { readablePortfolio } from '../services/portfolios.service';
import { recordRiskLive } from '../services/risk.service';
import { requireActor, type Context } from './context';

/**
 * The PMS cache policy, as data: the TTL of each cached type (the `@cached` directives in the
 * type files use these), the facts each type depends on, the facts each write changes, and how
 * each cached query maps to its identity. Facts are scoped by portfolio at run time
 * (`positions:<portfolio id>`); the scope is also the store's hash tag.
 */
export const CACHE_TTL_SECONDS = {
  Book: 30,
  RiskLive: 60,
  MorningPack: 300,
  Attribution: 300,
} as const;

export type CachedTypeName = keyof typeof CACHE_TTL_SECONDS;

export type FactKind = 'positions' | 'marks' | 'proposals' | 'journal' | 'briefing';

/** What each cached type is computed from. */
export const TYPE_FACTS: Readonly<Record<CachedTypeName, readonly FactKind[]>> = {
  Book: ['positions', 'marks'],
  RiskLive: ['positions', 'marks'],
  Attribution: ['positions', 'marks'],
  // Packs are stored documents: only generating one changes them. One fact per portfolio (not
  // per date) keeps `morningPack` without a date ("the latest") correct when a new day's pack appears.
  MorningPack: ['briefing'],
};

/** The cascade: what each committed write changes. */
export const MUTATION_FACTS: Readonly<Record<WriteOperation, readonly FactKind[]>> = {
  openPosition: ['positions', 'marks', 'proposals', 'journal'],
  closePosition: ['positions', 'marks', 'proposals', 'journal'],
  approveProposal: ['positions', 'marks', 'proposals', 'journal'],
  modifyAndApproveProposal: ['positions', 'marks', 'proposals', 'journal'],
  markToMarket: ['marks', 'journal'],
  rejectProposal: ['proposals', 'journal'],
  // It journals who generated and who expired proposals.
  generateProposals: ['proposals', 'journal'],
  recordOutcome: ['journal'],
  generateMorningPack: ['briefing'],
};

type Args = Readonly<Record<string, unknown>>;

const optionalString = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** Authorization first: resolves the portfolio the caller may read, or throws as the resolver would. */
async function portfolioScope(args: Args, ctx: Context) {
  return readablePortfolio(ctx.services.portfolios, requireActor(ctx), String(args.portfolioId));
}

/** The identity arguments of the current-data entry of a field taking `asOf`: reads look it up, writes re-warm it. */
function currentAsOfArgs(clock: Clock): { asOf: string } {
  return { asOf: today(clock) };
}

/**
 * The period of an attribution read and the identity arguments of its entry: the canonical period
 * key, so that MTD and an explicit MTD ending today are one entry. Reads and warming both use it.
 */
function attributionEntry(
  period: AttributionPeriod,
  asOf: string,
  portfolio: Portfolio,
  custom: { from?: string; to?: string } = {},
): { range: PeriodRange; args: { period: string } } {
  const range = resolvePeriod(period, asOf, { ...custom, inceptionDate: portfolio.inceptionDate });
  return { range, args: { period: range.key } };
}

/** Current-data reads (`asOf` omitted or today) are cached; a past date goes to the database. */
function currentAsOf(args: Args, ctx: Context): { asOf: string } | null {
  const current = currentAsOfArgs(ctx.services.clock);
  return (optionalString(args.asOf) ?? current.asOf) === current.asOf ? current : null;
}

/** A coordinate a committed write re-warms (write-through) so that the next read is a hit. */
export interface WriteThrough {
  /** The fact kinds whose change re-warms it (those its type depends on). */
  readonly facts: readonly FactKind[];
  /** The identity arguments, built by the same function the policy's `identify` uses for current data. */
  args(clock: Clock, portfolio: Portfolio): Readonly<Record<string, unknown>>;
  /** Computes the value as the field's resolver would, for the entry's identity. */
  compute(db: ServiceDeps['db'], clock: Clock, portfolio: Portfolio): Promise<unknown>;
}

/**
 * What a write re-warms, per cached coordinate. The book only: the desk reads it first after a
 * write, and each entry warmed is a computation on the write's path (its p99).
 */
export const WRITE_THROUGH: Readonly<Record<string, WriteThrough>> = {
  'Query.book': {
    facts: TYPE_FACTS.Book,
    args: currentAsOfArgs,
    compute: (db, clock, portfolio) => loadBook(db, clock, portfolio, currentAsOfArgs(clock).asOf),
  },
};

/**
 * What scheduled warming (src/server/warm.ts) computes for every active portfolio: the reads a desk
 * opens with, book, live risk and month-to-date attribution, each keyed by the same functions the
 * reads' `identify` uses, and computed as their resolvers would (live risk records the day's
 * snapshot, as getRiskLive does).
 */
export const SCHEDULED_WARMING: Readonly<Record<string, WriteThrough>> = {
  'Query.book': WRITE_THROUGH['Query.book']!,
  'Query.riskLive': {
    facts: TYPE_FACTS.RiskLive,
    args: currentAsOfArgs,
    compute: (db, clock, portfolio) => recordRiskLive(db, clock, portfolio, currentAsOfArgs(clock).asOf),
  },
  'Query.attribution': {
    facts: TYPE_FACTS.Attribution,
    args: (clock, portfolio) => attributionEntry('MTD', today(clock), portfolio).args,
    compute: (db, clock, portfolio) => attributionOf(db, portfolio, attributionEntry('MTD', today(clock), portfolio).range),
  },
};

const HISTORICAL: Identity = { kind: 'bypass', reason: 'historical' };

const asOfField: FieldPolicy<Context> = {
  async identify(args, ctx) {
    const portfolio = await portfolioScope(args, ctx);
    const current = currentAsOf(args, ctx);
    return current ? { kind: 'cache', scope: portfolio.id, args: current } : HISTORICAL;
  },
};

export function createCachePolicy(ttlOverrides: Readonly<Record<string, number>> = {}): CachePolicy<Context> {
  return {
    ttlOverrides,
    types: Object.fromEntries(Object.entries(TYPE_FACTS).map(([name, facts]) => [name, { dependsOn: facts }])),
    fields: {
      'Query.book': asOfField,
      'Query.riskLive': asOfField,
      'Query.attribution': {
        async identify(args, ctx) {
          const portfolio = await portfolioScope(args, ctx);
          const current = currentAsOf(args, ctx);
          if (!current) return HISTORICAL;
          // The canonical period key: MTD and an explicit MTD ending today are one entry.
          const entry = attributionEntry(args.period as AttributionPeriod, current.asOf, portfolio, {
            from: optionalString(args.from) ?? undefined,
            to: optionalString(args.to) ?? undefined,
          });
          return entry.range.end === current.asOf ? { kind: 'cache', scope: portfolio.id, args: entry.args } : HISTORICAL;
        },
      },
      'Query.morningPack': {
        async identify(args, ctx) {
          const portfolio = await portfolioScope(args, ctx);
          const date = optionalString(args.date);
          if (date === null) return { kind: 'cache', scope: portfolio.id, args: { date: 'latest' } };
          return date === today(ctx.services.clock) ? { kind: 'cache', scope: portfolio.id, args: { date } } : HISTORICAL;
        },
      },
      'Query.morningPackHistory': {
        async identify(args, ctx) {
          const portfolio = await portfolioScope(args, ctx);
          const to = optionalString(args.to);
          if (to !== null && to < today(ctx.services.clock)) return HISTORICAL;
          return { kind: 'cache', scope: portfolio.id, args: { from: optionalString(args.from), to, limit: args.limit ?? 30 } };
        },
      },
    },
  };
}
