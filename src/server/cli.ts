import 'reflect-metadata';
import { createDb } from '../data/db';
import { GATEWAY_ROLE, refreshGatewayGrants, setupGatewayRole } from '../data/gateway-role';
import { installJournalKeyring } from '../data/journal-keyring';
import { systemClock } from '../domain/dates';
import { JournalKeyring } from '../domain/journal-hash-keys';
import { DEMO_ACTORS, signToken } from './auth';
import { migrate, seed } from './bootstrap';
import { ConfigError, loadConfig, type Config } from './config';
import { toStartupError } from './startup-error';
import { verifyJournalCommand } from './verify-journal';

const USAGE = `usage: node dist/src/server/cli.js <command>

  migrate   apply pending migrations to the configured database
  seed      migrate, then seed the demo funds if they are missing
  tokens    print a bearer token per demo role (valid 12 hours, or JWT_MAX_TTL_SECONDS if shorter);
            with --role VIEWER|MANAGER|RISK_OFFICER|ADMIN only that role's token, alone on stdout:
            TOKEN=$(npm run -s tokens -- --role MANAGER)
  setup-roles     migrate, then create/grant the gateway's least-privilege role ${GATEWAY_ROLE} (run as the owner)
  verify-journal  verify every portfolio's journal [--anchor <portfolio>:<length>:<head>]... [--anchors <file>]`;

const TOKEN_TTL_SECONDS = 12 * 3600;

/** Kept for the error line: a failure names DATABASE_URL's host, PGLITE_DATA_DIR … */
let loaded: Config | null = null;

async function main(command: string | undefined, args: readonly string[]): Promise<void> {
  const config = loadConfig();
  loaded = config;
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
      const ttl = Math.min(TOKEN_TTL_SECONDS, config.jwt.maxTtlSeconds);
      const role = roleArgument(args);
      if (role !== null) {
        const actor = DEMO_ACTORS.find((a) => a.role === role.toUpperCase());
        if (!actor) throw new ConfigError(`tokens: unknown role "${role}"; roles: ${DEMO_ACTORS.map((a) => a.role).join(', ')}`);
        // The token alone, so that TOKEN=$(npm run -s tokens -- --role MANAGER) works as pasted.
        console.log(signToken(config.jwt, actor, ttl));
        return;
      }
      if (!config.jwt.usingDevSecret) log('# signed with JWT_SECRET from the environment');
      for (const actor of DEMO_ACTORS) {
        const scope = actor.portfolios === '*' ? 'all portfolios' : actor.portfolios.join(', ');
        log(`# ${actor.role} (${actor.id}; ${scope})`);
        log(`${actor.role}=${signToken(config.jwt, actor, ttl)}`);
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

/** `--role NAME` or `--role=NAME`; null without it. */
function roleArgument(args: readonly string[]): string | null {
  const index = args.findIndex((a) => a === '--role' || a.startsWith('--role='));
  if (index < 0) return null;
  const arg = args[index] ?? '';
  const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[index + 1];
  if (!value) throw new ConfigError(`tokens: --role needs a value; roles: ${DEMO_ACTORS.map((a) => a.role).join(', ')}`);
  return value;
}

main(process.argv[2], process.argv.slice(3)).catch((error: unknown) => {
  const known = toStartupError(error, loaded, 'database');
  console.error(known ? known.message : error);
  process.exit(1);
});
