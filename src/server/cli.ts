import 'reflect-metadata';
import { createDb } from '../data/db';
import { GATEWAY_ROLE, refreshGatewayGrants, setupGatewayRole } from '../data/gateway-role';
import { installJournalKeyring } from '../data/journal-keyring';
import { systemClock } from '../domain/dates';
import { JournalKeyring } from '../domain/journal-hash-keys';
import { DEMO_ACTORS, signToken } from './auth';
import { migrate, seed } from './bootstrap';
import { ConfigError, loadConfig } from './config';
import { verifyJournalCommand } from './verify-journal';

const USAGE = `usage: node dist/src/server/cli.js <command>

  migrate   apply pending migrations to the configured database
  seed      migrate, then seed the demo funds if they are missing
  tokens    print a bearer token per demo role (valid 12 hours, or JWT_MAX_TTL_SECONDS if shorter)
  setup-roles     migrate, then create/grant the gateway's least-privilege role ${GATEWAY_ROLE} (run as the owner)
  verify-journal  verify every portfolio's journal [--anchor <portfolio>:<length>:<head>]... [--anchors <file>]`;

const TOKEN_TTL_SECONDS = 12 * 3600;

async function main(command: string | undefined, args: readonly string[]): Promise<void> {
  const config = loadConfig();
  const log = (line: string) => console.log(line);
  // Before anything is written or verified: the migration that seals legacy entries uses it too.
  const keyring = new JournalKeyring(config.journal.key, config.journal.retiredKeys);
  installJournalKeyring(keyring);
  switch (command) {
    case 'migrate':
    case 'seed': {
      const db = createDb(config.database);
      try {
        await migrate(db, log);
        // New tables reach the gateway's role only through its grants: kept in step here.
        if (config.database.kind === 'postgres' && (await refreshGatewayGrants(db))) log(`roles: ${GATEWAY_ROLE} grants refreshed`);
        if (command === 'seed') await seed(db, systemClock, log);
      } finally {
        await db.destroy();
      }
      return;
    }
    case 'tokens': {
      if (config.env === 'production') throw new ConfigError('tokens: demo tokens are never issued in production');
      if (!config.jwt.usingDevSecret) log('# signed with JWT_SECRET from the environment');
      for (const actor of DEMO_ACTORS) {
        const scope = actor.portfolios === '*' ? 'all portfolios' : actor.portfolios.join(', ');
        log(`# ${actor.role} (${actor.id}; ${scope})`);
        log(`${actor.role}=${signToken(config.jwt, actor, Math.min(TOKEN_TTL_SECONDS, config.jwt.maxTtlSeconds))}`);
      }
      log('# use as the HTTP header  Authorization: Bearer <token>');
      return;
    }
    case 'setup-roles': {
      if (config.database.kind !== 'postgres') throw new ConfigError('setup-roles: needs DATABASE_URL (the owner\'s); PGlite has one user');
      const db = createDb(config.database);
      try {
        await migrate(db, log);
        const { created, grants } = await setupGatewayRole(db, config.gatewayRolePassword);
        log(`roles: ${GATEWAY_ROLE} ${created ? 'created' : 'exists'}${config.gatewayRolePassword ? ', password set' : ''}`);
        for (const [table, privileges] of grants) log(`roles:   ${table}: ${privileges}`);
        log(`roles: run the gateway with DATABASE_URL=postgres://${GATEWAY_ROLE}:<password>@<host>/<database>`);
      } finally {
        await db.destroy();
      }
      return;
    }
    case 'verify-journal': {
      const db = createDb(config.database);
      try {
        process.exitCode = await verifyJournalCommand(db, keyring, args, { out: log, err: (line) => console.error(line) });
      } finally {
        await db.destroy();
      }
      return;
    }
    default:
      console.error(USAGE);
      process.exitCode = 2;
  }
}

main(process.argv[2], process.argv.slice(3)).catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
