// Contender "cache" / "nocache": the real gateway (createGateway + loadConfig from the environment
// the runner sets: pms_bench, Redis DB 14 or CACHE_ENABLED=false), no seeding. It serves /metrics
// itself; the SQL statements counted here at the knex boundary are a fallback over IPC.
import 'reflect-metadata';
import { createGateway } from '../../src/server/app';
import { loadConfig } from '../../src/server/config';
import { createLogger } from '../../src/server/logger';
import { announceReady, answerStats, runServer, SqlCounter, stopOnSignals } from './common';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  if (config.database.kind !== 'postgres') throw new Error('the benchmark gateway needs DATABASE_URL (pms_bench)');
  const logger = createLogger(config.logLevel);
  const gateway = await createGateway(config, logger);
  const sql = new SqlCounter().attach(gateway.db);
  answerStats(() => ({ pms_sql_statements_total: sql.count }));
  const url = await gateway.start();
  stopOnSignals('gateway', () => gateway.stop());
  announceReady(Number(new URL(url).port));
}

runServer('gateway', main);
