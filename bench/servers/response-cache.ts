// Contender "response-cache" (the reference): the gateway's schema, NOT wrapped by our cache, in
// Apollo Server with cache control (defaultMaxAge 30: every field cacheable) and Apollo's
// response-cache plugin on Redis DB 15; same context and HTTP layer as the gateway, compression
// included: a request that accepts br or gzip gets each response compressed whole, as a usual
// server compresses (the gateway's configuration: COMPRESSION, COMPRESSION_MIN_BYTES).
import 'reflect-metadata';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControl } from '@apollo/server/plugin/cacheControl';
import { ApolloServerPluginLandingPageProductionDefault } from '@apollo/server/plugin/landingPage/default';
import responseCachePlugin, { type ApolloServerPluginResponseCacheOptions } from '@apollo/server-plugin-response-cache';
import { Redis } from 'ioredis';
import { createDb } from '../../src/data/db';
import { createLoaders } from '../../src/data/loaders';
import { systemClock } from '../../src/domain/dates';
import type { Context } from '../../src/graphql/context';
import { createFormatError } from '../../src/graphql/errors';
import { buildGatewaySchema } from '../../src/graphql/schema';
import { ResponseCompression } from '../../src/server/compression';
import { loadConfig } from '../../src/server/config';
import { createHttpServer, listen } from '../../src/server/http';
import { createLogger } from '../../src/server/logger';
import { noChangeListener, type ServiceDeps } from '../../src/services/deps';
import { PortfolioDirectory } from '../../src/services/portfolios.service';
import { REFERENCE_REDIS_DB, redisUrl } from '../common';
import { contextFactory } from './context';
import { announceReady, renderMetrics, runServer, SqlCounter, stopOnSignals } from './common';

type KeyValueCache = NonNullable<ApolloServerPluginResponseCacheOptions<Context>['cache']>;

/** Apollo's KeyValueCache over ioredis: get, set with a TTL in seconds, delete. */
class RedisKeyValueCache implements KeyValueCache {
  constructor(
    private readonly client: Redis,
    private readonly prefix = 'bench-rc:',
  ) {}

  async get(key: string): Promise<string | undefined> {
    return (await this.client.get(this.prefix + key)) ?? undefined;
  }

  async set(key: string, value: string, options?: { ttl?: number | null }): Promise<void> {
    const ttl = options?.ttl;
    if (typeof ttl === 'number' && ttl > 0) await this.client.set(this.prefix + key, value, 'EX', Math.ceil(ttl));
    else await this.client.set(this.prefix + key, value);
  }

  async delete(key: string): Promise<boolean> {
    return (await this.client.del(this.prefix + key)) > 0;
  }
}

/** The root fields whose computations the benchmark counts (a hit must not call them). */
const COMPUTED_FIELDS = ['book', 'attribution', 'riskLive'] as const;

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  if (config.database.kind !== 'postgres') throw new Error('the response-cache contender needs DATABASE_URL (pms_bench)');
  const logger = createLogger(config.logLevel);
  const db = createDb(config.database);
  const sql = new SqlCounter().attach(db);
  const redis = new Redis(redisUrl(REFERENCE_REDIS_DB), { maxRetriesPerRequest: 1 });
  const services: ServiceDeps = { db, clock: systemClock, changes: noChangeListener, portfolios: new PortfolioDirectory(db, systemClock) };

  const schema = await buildGatewaySchema();
  let computations = 0;
  const fields = schema.getQueryType()?.getFields() ?? {};
  for (const name of COMPUTED_FIELDS) {
    const field = fields[name];
    const resolve = field?.resolve;
    if (!field || !resolve) throw new Error(`Query.${name} has no resolver`);
    field.resolve = (source, args, context, info) => {
      computations += 1;
      return resolve(source, args, context, info);
    };
  }

  const apollo = new ApolloServer<Context>({
    schema,
    introspection: false,
    // The runner stops this server (SIGTERM → stopOnSignals), not Apollo's own signal handlers.
    stopOnTerminationSignals: false,
    formatError: createFormatError(logger),
    plugins: [
      // defaultMaxAge makes every field cacheable (lists of the cached types included), the
      // equivalent of @cacheControl(inheritMaxAge: true) on them: without it nothing is cached.
      ApolloServerPluginCacheControl({ defaultMaxAge: 30 }),
      responseCachePlugin<Context>({
        cache: new RedisKeyValueCache(redis),
        // Entitlements are part of the key, so one caller's answer never serves another scope.
        extraCacheKeyData: (rc) => Promise.resolve(rc.contextValue.actor ? [rc.contextValue.actor.role, rc.contextValue.actor.portfolios] : null),
      }),
      ApolloServerPluginLandingPageProductionDefault({ footer: false }),
    ],
  });
  await apollo.start();

  const createContext = contextFactory(config.jwt, services, () => createLoaders(db));
  const server = createHttpServer({
    apollo,
    logger,
    createContext,
    compression: new ResponseCompression(config.compression),
    metrics: () => renderMetrics({ pms_sql_statements_total: sql.count, bench_computations_total: computations }),
    ready: async () => {
      await db.raw('select 1');
    },
  });
  const address = await listen(server, config.port, config.host);
  stopOnSignals('response-cache', async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    await apollo.stop();
    await redis.quit();
    await db.destroy();
  });
  announceReady(address.port);
}

runServer('response-cache', main);
