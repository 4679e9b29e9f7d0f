import 'reflect-metadata';
import { systemClock } from '../domain/dates';
import { createGateway } from './app';
import { prepareDatabase } from './bootstrap';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './logger';

/** Entry point of `npm start`: validate config, prepare the database, serve, stop cleanly. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const say = (line: string) => logger.info(line);
  if (config.database.kind === 'pglite') say(`database: embedded PGlite in ${config.database.dataDir} (set DATABASE_URL for Postgres)`);
  if (config.jwt.usingDevSecret) logger.warn('auth: JWT_SECRET not set, using the built-in development secret');

  const gateway = await createGateway(config, logger, { clock: systemClock });
  await prepareDatabase(gateway.db, systemClock, config.seedDemo, say);
  const url = await gateway.start();
  say(`ready: GraphQL at ${url}`);
  // The one line a person starting the gateway looks for, in plain text beside the JSON logs.
  console.log(
    `\n  PMS gateway ready: ${url}` +
      (config.sandbox ? '\n  Open it in a browser for Apollo Sandbox.' : '') +
      '\n  Bearer tokens for the demo roles: npm run tokens\n',
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`shutdown: ${signal} received, draining…`);
    gateway.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) console.error(error.message);
  else console.error(error);
  process.exit(1);
});
