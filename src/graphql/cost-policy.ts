import {
  getNullableType, isEnumType, isInputObjectType, isInterfaceType, isListType, isObjectType, type GraphQLSchema,
} from 'graphql';
import type { ComplexityEstimator } from 'graphql-query-complexity';
import type { IsoDate } from '../domain/dates';

/**
 * The cost of an operation, as data (graphql-query-complexity runs it, see server/operation-gate.ts).
 * A field costs its own work plus its selection's cost, times the number of items when it is a
 * list. Units are roughly microseconds of server CPU on the development machine: a field read
 * from an object costs 1, a field that computes costs what a computation measured (a book miss
 * of 200 positions took 3.5 ms, a historical riskLive 13 ms), whether or not the cache will
 * answer it (a miss computes). Numbers are deliberately round: they rank work, they do not time it.
 */
export const FIELD_COSTS: Readonly<Record<string, number>> = {
  // Computations (the cached types, and the reads that aggregate a history).
  'Query.book': 1_000,
  'Query.riskLive': 4_000,
  'Query.attribution': 3_000,
  'Query.equityCurve': 2_000,
  'Query.journalIntegrity': 5_000,
  // Stored reads: one query each.
  'Query.morningPack': 200,
  'Query.morningPackHistory': 200,
  'Query.riskTrend': 200,
  'Query.journal': 200,
  'Query.journalEntry': 50,
  'Query.positions': 200,
  'Query.position': 50,
  'Query.tradeProposals': 200,
  'Query.tradeProposal': 50,
  'Query.portfolios': 50,
  // Writes that compute more than the others.
  'Mutation.markToMarket': 5_000,
  'Mutation.generateMorningPack': 10_000,
  'Mutation.generateProposals': 5_000,
};

/** Any other write: a transaction, its journal entries, the invalidation and a book recomputed. */
export const MUTATION_COST = 2_000;

/**
 * Reads whose `asOf` before today rebuilds the past from the P&L snapshots: never cached, and
 * about three times the work of the current read (1,000 aliases of a historical book took 3.3 s).
 */
export const HISTORICAL_READS: ReadonlySet<string> = new Set(['Query.book', 'Query.riskLive', 'Query.attribution']);
export const HISTORICAL_FACTOR = 3;

/**
 * Lists whose length an argument gives (defaults applied by GraphQL), capped at the bound the
 * service enforces: a value beyond it is refused by the service as BAD_USER_INPUT, not priced.
 * `journal` returns one page: its `first` multiplies the page (JournalPage.entries counts 1).
 */
export const SIZE_ARGUMENTS: Readonly<Record<string, { readonly argument: string; readonly max: number }>> = {
  'Query.tradeProposals': { argument: 'limit', max: 500 },
  'Query.morningPackHistory': { argument: 'limit', max: 366 },
  'Query.journal': { argument: 'first', max: 200 },
};

/** The expected length of the other lists (a large book: 50 positions, 8 asset classes). */
export const LIST_SIZES: Readonly<Record<string, number>> = {
  'JournalPage.entries': 1,
  'Query.positions': 50,
  'Query.portfolios': 10,
  'Query.equityCurve': 250,
  'Query.riskTrend': 60,
  'Book.positions': 50,
  'Book.byAssetClass': 8,
  'Attribution.byInstrument': 50,
  'Attribution.byTimeBucket': 24,
  'Attribution.byAssetClass': 8,
  'Attribution.byTradeType': 2,
  'RiskLive.stress': 8,
  'StressTest.contributions': 50,
  'RiskLive.limits': 8,
  'RiskLive.alerts': 8,
  'Concentration.byAssetClass': 8,
  'Concentration.topPositions': 3,
  'MarkToMarketResult.marks': 50,
  'PortfolioStateSection.byAssetClass': 8,
  'RiskSummarySection.alerts': 8,
};

/** Any list not named above. */
export const DEFAULT_LIST_SIZE = 10;

/**
 * Introspection answers from the schema in memory, but a nested selection of `fields { type {
 * fields … } }` multiplies like any list: its lists count their average length in this schema
 * (`__Type.fields` is asked of every type, so the fields of all types over the number of types).
 */
function introspectionListSizes(schema: GraphQLSchema): Record<string, number> {
  const types = Object.values(schema.getTypeMap());
  let fields = 0;
  let args = 0;
  let inputFields = 0;
  let enumValues = 0;
  let interfaces = 0;
  for (const type of types) {
    if (isObjectType(type) || isInterfaceType(type)) {
      const own = Object.values(type.getFields());
      fields += own.length;
      args += own.reduce((n, f) => n + f.args.length, 0);
      interfaces += type.getInterfaces().length;
    } else if (isInputObjectType(type)) {
      inputFields += Object.keys(type.getFields()).length;
    } else if (isEnumType(type)) {
      enumValues += type.getValues().length;
    }
  }
  const directives = schema.getDirectives();
  const perType = (n: number): number => Math.max(1, Math.ceil(n / types.length));
  return {
    '__Schema.types': types.length,
    '__Schema.directives': directives.length,
    '__Type.fields': perType(fields),
    '__Type.inputFields': perType(inputFields),
    '__Type.enumValues': perType(enumValues),
    '__Type.interfaces': perType(interfaces),
    '__Type.possibleTypes': perType(interfaces),
    '__Field.args': Math.max(1, Math.ceil(args / Math.max(1, fields))),
    '__Directive.args': Math.max(1, Math.ceil(directives.reduce((n, d) => n + d.args.length, 0) / Math.max(1, directives.length))),
  };
}

/**
 * The estimator graphql-query-complexity calls for every field of an operation (with the
 * arguments as the request's variables make them): its own cost plus its selection's, times its
 * length for a list.
 */
export function createCostEstimator(schema: GraphQLSchema, today: () => IsoDate): ComplexityEstimator {
  const sizes: Readonly<Record<string, number>> = { ...introspectionListSizes(schema), ...LIST_SIZES };
  const mutationType = schema.getMutationType();
  return ({ type, field, args, childComplexity }) => {
    const coordinate = `${type.name}.${field.name}`;
    let own = FIELD_COSTS[coordinate] ?? (type === mutationType ? MUTATION_COST : 1);
    if (HISTORICAL_READS.has(coordinate) && typeof args.asOf === 'string' && args.asOf < today()) own *= HISTORICAL_FACTOR;
    const sized = SIZE_ARGUMENTS[coordinate];
    let items = 1;
    if (sized) {
      const given: unknown = args[sized.argument];
      items = typeof given === 'number' && Number.isFinite(given) ? Math.min(Math.max(given, 1), sized.max) : sized.max;
    } else if (isListType(getNullableType(field.type))) {
      items = sizes[coordinate] ?? DEFAULT_LIST_SIZE;
    }
    return own + items * childComplexity;
  };
}
