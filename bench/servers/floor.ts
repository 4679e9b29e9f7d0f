// Contender "floor": the gateway's schema in Apollo Server, same context and HTTP layer, whose
// book, attribution and riskLive resolvers return objects computed once at start through the
// services, and whose loaders answer from memory: the cost of executing the selection set itself.
import 'reflect-metadata';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageProductionDefault } from '@apollo/server/plugin/landingPage/default';
import DataLoader from 'dataloader';
import { createDb } from '../../src/data/db';
import { findInstrumentsByIds } from '../../src/data/instrument.repository';
import type { Loaders } from '../../src/data/loaders';
import { findPortfolioByRef } from '../../src/data/portfolio.repository';
import { systemClock, today } from '../../src/domain/dates';
import type { Context } from '../../src/graphql/context';
import { createCostEstimator } from '../../src/graphql/cost-policy';
import { createFormatError } from '../../src/graphql/errors';
import { buildGatewaySchema } from '../../src/graphql/schema';
import { loadConfig } from '../../src/server/config';
import { createHttpServer, listen } from '../../src/server/http';
import { createLogger } from '../../src/server/logger';
import { OperationGate, withoutSuggestions } from '../../src/server/operation-gate';
import { createSubjectRateLimiter } from '../../src/server/rate-limit';
import type { Actor } from '../../src/services/access';
import { getAttribution } from '../../src/services/attribution.service';
import { getBook } from '../../src/services/book.service';
import { noChangeListener, type ServiceDeps } from '../../src/services/deps';
import { PortfolioDirectory } from '../../src/services/portfolios.service';
import { getRiskLive } from '../../src/services/risk.service';
import { BIG_PORTFOLIO } from '../common';
import { ATTRIBUTION_PERIOD } from '../documents';
import { contextFactory } from './context';
import { announceReady, renderMetrics, runServer, SqlCounter, stopOnSignals } from './common';

const SYSTEM: Actor = { id: 'bench:floor', role: 'ADMIN', portfolios: '*' };

function fromMemory<T>(rows: ReadonlyMap<string, T>): DataLoader<string, T | null> {
  return new DataLoader<string, T | null>((keys) => Promise.resolve(keys.map((k) => rows.get(k) ?? null)));
}

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  if (config.database.kind !== 'postgres') throw new Error('the floor contender needs DATABASE_URL (pms_bench)');
  const logger = createLogger(config.logLevel);
  const db = createDb(config.database);
  const sql = new SqlCounter().attach(db);
  const services: ServiceDeps = { db, clock: systemClock, changes: noChangeListener, portfolios: new PortfolioDirectory(db, systemClock) };

  // Computed once, through the same services the gateway calls.
  const book = await getBook(services, SYSTEM, { portfolioId: BIG_PORTFOLIO });
  const attribution = await getAttribution(services, SYSTEM, { portfolioId: BIG_PORTFOLIO, period: ATTRIBUTION_PERIOD });
  const risk = await getRiskLive(services, SYSTEM, { portfolioId: BIG_PORTFOLIO });
  const portfolio = await findPortfolioByRef(db, BIG_PORTFOLIO);
  if (!portfolio) throw new Error(`${BIG_PORTFOLIO} not found: generate the bench data first`);
  const instruments = await findInstrumentsByIds(db, [...new Set(book.positions.map((p) => p.instrumentId))]);
  const portfolios = new Map([[portfolio.id, portfolio]]);
  const instrumentsById = new Map(instruments.map((i) => [i.id, i]));
  const loaders = (): Loaders => ({
    portfolio: fromMemory(portfolios),
    instrument: fromMemory(instrumentsById),
    position: fromMemory(new Map()),
    proposal: fromMemory(new Map()),
    journalEntry: fromMemory(new Map()),
  });

  const schema = await buildGatewaySchema();
  const fields = schema.getQueryType()?.getFields() ?? {};
  const constants: Readonly<Record<string, unknown>> = { book, attribution, riskLive: risk };
  for (const [name, value] of Object.entries(constants)) {
    const field = fields[name];
    if (!field) throw new Error(`Query.${name} not in the schema`);
    field.resolve = () => value;
  }

  // The gateway's request gate (limits, cost, rate per subject in process), as in production mode:
  // the floor is the gateway without its cache, not without its checks.
  const formatErrorOf = createFormatError(logger);
  const formatError = (formatted: Parameters<typeof formatErrorOf>[0], error: unknown) => withoutSuggestions(formatErrorOf(formatted, error));
  const gate = new OperationGate({
    schema,
    limits: config.limits.operation,
    introspection: false,
    sandbox: false,
    estimator: createCostEstimator(schema, () => today(systemClock)),
    today: () => today(systemClock),
    formatError,
    rateLimiter: config.rateLimit ? createSubjectRateLimiter(config.rateLimit, { redis: null, timeoutMs: config.cache.timeoutMs }) : null,
  });
  const apollo = new ApolloServer<Context>({
    schema,
    introspection: false,
    // The runner stops this server (SIGTERM → stopOnSignals), not Apollo's own signal handlers.
    stopOnTerminationSignals: false,
    formatError,
    documentStore: gate.documentStore,
    parseOptions: { maxTokens: config.limits.operation.tokens },
    persistedQueries: false,
    // The gateway's Apollo configuration, without its cache.
    plugins: [ApolloServerPluginCacheControlDisabled(), ApolloServerPluginLandingPageProductionDefault({ footer: false })],
  });
  await apollo.start();

  const createContext = contextFactory(config.jwt, services, loaders);
  const server = createHttpServer({
    apollo,
    gate,
    logger,
    createContext,
    metrics: () => renderMetrics({ pms_sql_statements_total: sql.count }),
    ready: () => Promise.resolve(),
  });
  const address = await listen(server, config.port, config.host);
  stopOnSignals('floor', async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    await apollo.stop();
    await db.destroy();
  });
  announceReady(address.port);
}

runServer('floor', main);
