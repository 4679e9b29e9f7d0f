import 'reflect-metadata';
import { createDb } from '../data/db';
import { systemClock } from '../domain/dates';
import { createGateway } from './app';
import { prepareDatabase } from './bootstrap';
import { loadConfig, type Config } from './config';
import { createLogger } from './logger';
import { Shutdown } from './shutdown';
import { describeDatabaseUrl, describeUrl, toStartupError } from './startup-error';

/** Where the data lives, for the banner and the log: never a password. */
export function describeDatabase(config: Config): string {
  return config.database.kind === 'pglite'
    ? `embedded PGlite in ${config.database.dataDir} (one process; DATABASE_URL for Postgres)`
    : `Postgres at ${describeDatabaseUrl(config.database.url)}`;
}

/** Which cache store serves, for the banner and the log. */
export function describeCache(config: Config): string {
  if (!config.cache.enabled) return 'disabled (CACHE_ENABLED=false)';
  const store = config.cache.store;
  switch (store.kind) {
    case 'memory':
      return 'in-process memory store (REDIS_URL to share it between instances)';
    case 'redis':
      return `Redis at ${describeUrl(store.url, 6379)}`;
    case 'redis-cluster':
      return `Redis Cluster (${store.nodes.join(', ')})`;
  }
}

/** The lines a person starting the gateway looks for, in plain text beside the JSON logs. */
function banner(config: Config, url: string): string {
  const lines = [
    `PMS gateway ready: ${url}`,
    `database: ${describeDatabase(config)}`,
    `cache:    ${describeCache(config)}`,
    ...(config.sandbox ? ['Open the URL in a browser for Apollo Sandbox.'] : []),
    // `npm run tokens` refuses to sign demo tokens in production: no hint there.
    ...(config.env !== 'production' ? ['Bearer tokens for the demo roles: npm run tokens (one: npm run -s tokens -- --role MANAGER)'] : []),
    `Stop with Ctrl+C or SIGTERM: drains requests for at most ${config.shutdownTimeoutMs} ms (SHUTDOWN_TIMEOUT_MS).`,
  ];
  return `\n${lines.map((line) => `  ${line}`).join('\n')}\n`;
}

/** Entry point of `npm start`: validate config, prepare the database, serve, stop cleanly. */
async function main(): Promise<void> {
  let config: Config | null = null;
  let phase: 'database' | 'listen' = 'database';
  try {
    config = loadConfig();
    const logger = createLogger(config.logLevel);
    const say = (line: string) => logger.info(line);
    say(`database: ${describeDatabase(config)}`);
    say(`cache: ${describeCache(config)}`);
    if (config.jwt.usingDevSecret) logger.warn('auth: JWT_SECRET not set, using the built-in development secret');

    // Opening the database (PGlite: seconds of WebAssembly and files; Postgres: a connection)
    // overlaps with building the schema; its error, if any, surfaces in prepareDatabase.
    const db = createDb(config.database);
    db.raw('select 1').catch(() => undefined);
    const gateway = await createGateway(config, logger, { clock: systemClock, db });
    await prepareDatabase(db, systemClock, config.seedDemo, say);
    phase = 'listen';
    const url = await gateway.start();
    say(`ready: GraphQL at ${url}`);
    console.log(banner(config, url));
    new Shutdown({
      timeoutMs: config.shutdownTimeoutMs,
      logger,
      // The gateway closes Redis; the database it was given closes last, here.
      stop: async (drainDeadline) => {
        await gateway.stop(drainDeadline);
        await db.destroy();
      },
      exit: (code) => process.exit(code),
    }).install();
  } catch (error) {
    const known = toStartupError(error, config, phase);
    // One line naming the variable or resource; a stack only for what is not the operator's to fix.
    console.error(known ? `pms-gateway: ${known.message} [${known.code}]` : error);
    process.exit(1);
  }
}

void main();
