import type http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import {
  ApolloServerPluginLandingPageLocalDefault,
  ApolloServerPluginLandingPageProductionDefault,
} from '@apollo/server/plugin/landingPage/default';
import type { GraphQLSchema } from 'graphql';
import { createDb, type Db } from '../data/db';
import { installJournalKeyring } from '../data/journal-keyring';
import { createLoaders } from '../data/loaders';
import { JournalKeyring } from '../domain/journal-hash-keys';
import { systemClock, today, type Clock } from '../domain/dates';
import type { Context } from '../graphql/context';
import { createCostEstimator } from '../graphql/cost-policy';
import { createFormatError } from '../graphql/errors';
import { buildGatewaySchema } from '../graphql/schema';
import { noChangeListener, type ServiceDeps } from '../services/deps';
import { PortfolioDirectory } from '../services/portfolios.service';
import { GenerationFloors, OperationCache, createRedisClient, waitForReady, type CacheStore, type ResilientStore, type ResolverCache } from '../resolver-cache';
import { createAuthenticator } from './auth';
import { CacheCounters, cacheChangeListener, cacheNow, createCacheStore, createResolverCache } from './cache';
import { ResponseCompression } from './compression';
import { createGenerationFeed, type GenerationFeed } from './generation-feed';
import type { Config } from './config';
import { createCorsHook } from './cors';
import { createHttpServer, listen } from './http';
import type { Logger } from './logger';
import { Metrics } from './metrics';
import { OperationGate, withoutSuggestions, type FormatError } from './operation-gate';
import { createSubjectRateLimiter } from './rate-limit';
import { ConnectionDrainer } from './shutdown';
import { CacheWarmer } from './warm';

export interface Gateway {
  readonly db: Db;
  /** Null when the cache is disabled by configuration. */
  readonly cache: ResolverCache<Context> | null;
  readonly cacheCounters: CacheCounters;
  /** The store behind timeouts and the breaker (null with the cache disabled or a store given in options). */
  readonly cacheStore: ResilientStore | null;
  /** The feed of committed generations (null with the cache disabled). */
  readonly generationFeed: GenerationFeed | null;
  /** Scheduled warming (null with the cache disabled); runs by itself only with CACHE_WARM_INTERVAL > 0. */
  readonly warmer: CacheWarmer | null;
  /** The Prometheus registry and counters behind /metrics. */
  readonly metrics: Metrics;
  /** The checks every GraphQL request passes before the cache or Apollo (operation-gate.ts). */
  readonly gate: OperationGate;
  /** gzip/brotli of /graphql responses (its counters: compressions, kept forms reused). */
  readonly compression: ResponseCompression;
  readonly schema: GraphQLSchema;
  readonly apollo: ApolloServer<Context>;
  readonly services: ServiceDeps;
  /** Starts listening; resolves with the GraphQL URL. */
  start(): Promise<string>;
  /**
   * Stops accepting requests, drains the open ones until `drainDeadline` (epoch ms; default
   * SHUTDOWN_TIMEOUT_MS from now) then cuts what is left, stops Apollo, closes Redis and the
   * database last (shutdown.ts).
   */
  stop(drainDeadline?: number): Promise<void>;
}

export interface GatewayOptions {
  readonly clock?: Clock;
  /** An existing knex (tests share one); the gateway then does not close it on stop. */
  readonly db?: Db;
  /** A cache store to use instead of the configured one (tests); closed on stop like it. */
  readonly cacheStore?: CacheStore;
}

/**
 * The composition root: the only place that constructs the database client and wires the
 * layers. Everything below receives its dependencies.
 */
export async function createGateway(config: Config, logger: Logger, options: GatewayOptions = {}): Promise<Gateway> {
  const ownsDb = !options.db;
  const db = options.db ?? createDb(config.database);
  // One journal key per process (journal-keyring.ts), installed before anything is written.
  installJournalKeyring(new JournalKeyring(config.journal.key, config.journal.retiredKeys));
  if (config.journal.usingDevKey) logger.warn('journal: JOURNAL_KEY not set, sealing with the built-in development key');
  const clock = options.clock ?? systemClock;
  const cacheCounters = new CacheCounters();
  // The cache keeps the gateway's time: tests move the clock instead of sleeping.
  const now = cacheNow(clock);
  const resilient = config.cache.enabled && !options.cacheStore ? createCacheStore(config.cache, logger, now) : null;
  const store = config.cache.enabled ? (options.cacheStore ?? resilient) : null;
  // The floors are loaded (start, after migrations), and kept in step by notifications; until
  // then the cache is bypassed.
  const floors = new GenerationFloors({ synced: false, now });
  const feed: GenerationFeed | null = store ? createGenerationFeed(db, floors, logger) : null;
  const cache = store ? createResolverCache(config.cache, store, cacheCounters, floors, now) : null;
  const portfolios = new PortfolioDirectory(db, clock, { rememberMs: config.portfolioMemorySeconds * 1000 });
  const services: ServiceDeps = {
    db,
    clock,
    changes: cache && feed ? cacheChangeListener(cache, feed, db, clock, logger, portfolios) : noChangeListener,
    portfolios,
  };
  // The cache wraps its fields once, here; with the cache disabled the schema is left as built.
  const schema = cache ? cache.apply(await buildGatewaySchema()) : await buildGatewaySchema();
  const operations = cache && store && config.cache.operations ? new OperationCache<Context>(schema, cache, store, { hooks: cacheCounters.hooks, now, onServed: (outcome) => countOperation(metrics, outcome) }) : null;
  const warmer = cache && store ? new CacheWarmer({ cache, store, db, clock, logger, intervalSeconds: config.cache.warmIntervalSeconds }) : null;
  const compression = new ResponseCompression(config.compression);
  const metrics = new Metrics({ db, cache: cacheCounters, store: resilient, feed, warmer, compression: config.compression.enabled ? compression : null });
  const introspection = config.env !== 'production' || config.sandbox;
  // Production hides what errors would tell of the schema: no "Did you mean …?" suggestions.
  const hideSchemaDetails = config.env === 'production' || !introspection;
  const formatErrorOf = createFormatError(logger);
  const formatError: FormatError = hideSchemaDetails ? (formatted, error) => withoutSuggestions(formatErrorOf(formatted, error)) : formatErrorOf;
  // Rate limits are shared through Redis when the cache has it (their own connection), else per process.
  const rateLimitRedis = config.rateLimit && config.cache.store.kind !== 'memory'
    ? createRedisClient({
      target: config.cache.store.kind === 'redis' ? { kind: 'single', url: config.cache.store.url } : { kind: 'cluster', nodes: config.cache.store.nodes },
      commandTimeoutMs: Math.max(1_000, config.cache.timeoutMs * 10),
      connectionName: 'pms-gateway-rate-limit',
    })
    : null;
  const gate = new OperationGate({
    schema,
    limits: config.limits.operation,
    introspection,
    sandbox: config.sandbox,
    estimator: createCostEstimator(schema, () => today(clock)),
    today: () => today(clock),
    now,
    formatError,
    rateLimiter: config.rateLimit ? createSubjectRateLimiter(config.rateLimit, { redis: rateLimitRedis, timeoutMs: config.cache.timeoutMs }) : null,
  });
  const apollo = new ApolloServer<Context>({
    schema,
    introspection,
    // Suggestions are taken out by formatError (above), for the gate's errors and Apollo's alike:
    // not by Apollo's hideSchemaDetailsFromClientErrors, a plugin every request would pay a hook for.
    // Apollo's errors are counted by code as they are formatted (the gate's, from its refusals).
    formatError: metrics.countingErrors(formatError),
    // The gate parsed and validated every document Apollo is given: Apollo reads them from it.
    documentStore: gate.documentStore,
    // Only if the gate's copy was evicted meanwhile does Apollo parse; within the same limit.
    parseOptions: { maxTokens: config.limits.operation.tokens },
    // Every request carries its document, so every request passes the gate's checks.
    persistedQueries: false,
    // main.ts owns shutdown (drain HTTP, stop Apollo, close the store and the database).
    stopOnTerminationSignals: false,
    // Sandbox in the browser for people; no landing page hides the schema in production.
    plugins: [
      // Apollo's cache-control plugin hooks every resolved field; this gateway does not use it.
      ApolloServerPluginCacheControlDisabled(),
      ...(cache ? [cache.apolloPlugin()] : []),
      ...(operations ? [operations.apolloPlugin()] : []),
      config.sandbox
        ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false })
        : ApolloServerPluginLandingPageProductionDefault({ footer: false }),
    ],
    logger: {
      debug: (m) => logger.debug(m),
      info: (m) => logger.info(m),
      warn: (m) => logger.warn(m),
      error: (m) => logger.error(m),
    },
  });
  await apollo.start();

  const authenticate = createAuthenticator(config.jwt);
  const createContext = (req: http.IncomingMessage, requestId: string): Context => {
    const auth = authenticate(req.headers.authorization);
    return {
      requestId,
      actor: auth.kind === 'authenticated' ? auth.actor : null,
      authError: auth.kind === 'invalid' ? auth.reason : null,
      loaders: createLoaders(db),
      services,
    };
  };
  const server = createHttpServer({
    compression,
    apollo,
    logger,
    createContext,
    gate,
    maxBodyBytes: config.limits.bodyBytes,
    cors: createCorsHook(config.cors),
    metrics: () => metrics.render(),
    observe: metrics.observe,
    // The operation cache's one entry point, after the gate: a hit to send, or proceed to Apollo.
    serveCached: operations ? (request, context, document) => operations.serve(request, context, document) : undefined,
    responded: operations ? (context, body) => operations.fill(context, body) : undefined,
    ready: async () => {
      await db.raw('select 1');
    },
    draining: () => drainer.draining,
  });
  const drainer = new ConnectionDrainer(server);

  return {
    db,
    cache,
    cacheCounters,
    cacheStore: resilient,
    generationFeed: feed,
    warmer,
    metrics,
    gate,
    compression,
    schema,
    apollo,
    services,
    async start() {
      await feed?.start();
      // Until its connection is up, the rate limiter counts in memory; a Redis that is down must
      // not hold the start-up for more than a second.
      if (rateLimitRedis) await waitForReady(rateLimitRedis, 1_000).catch(() => undefined);
      const address = await listen(server, config.port, config.host);
      // After the listener is up, never awaited: readiness does not wait for warming.
      warmer?.start();
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      return `http://${host}:${address.port}/graphql`;
    },
    async stop(drainDeadline = Date.now() + config.shutdownTimeoutMs) {
      const drained = await drainer.drain(drainDeadline);
      if (drained.completed > 0 || drained.forced > 0) {
        const cut = drained.forced > 0 ? `, ${drained.forced} connection(s) cut at the deadline (SHUTDOWN_TIMEOUT_MS)` : '';
        logger.info(`shutdown: ${drained.completed} request(s) finished while draining${cut}`);
      }
      await apollo.stop();
      await warmer?.stop();
      await feed?.stop();
      await store?.close();
      rateLimitRedis?.disconnect();
      if (ownsDb) await db.destroy();
    },
  };
}

/** Whole operations answered from the store, or expected to fill (metrics.ts). */
function countOperation(metrics: Metrics, outcome: 'hit' | 'miss'): void {
  if (outcome === 'hit') metrics.operationHits += 1;
  else metrics.operationMisses += 1;
}
