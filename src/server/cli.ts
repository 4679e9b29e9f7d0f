import 'reflect-metadata';
import { createDb } from '../data/db';
import { systemClock } from '../domain/dates';
import { DEMO_ACTORS, signToken } from './auth';
import { migrate, seed } from './bootstrap';
import { ConfigError, loadConfig, type Config } from './config';
import { toStartupError } from './startup-error';

const USAGE = `usage: node dist/src/server/cli.js <command>

  migrate   apply pending migrations to the configured database
  seed      migrate, then seed the demo funds if they are missing
  tokens    print a bearer token per demo role (valid 12 hours, or JWT_MAX_TTL_SECONDS if shorter);
            with --role VIEWER|MANAGER|RISK_OFFICER|ADMIN only that role's token, alone on stdout:
            TOKEN=$(npm run -s tokens -- --role MANAGER)`;

const TOKEN_TTL_SECONDS = 12 * 3600;

/** Kept for the error line: a failure names DATABASE_URL's host, PGLITE_DATA_DIR … */
let loaded: Config | null = null;

async function main(command: string | undefined, args: readonly string[]): Promise<void> {
  const config = loadConfig();
  loaded = config;
  const log = (line: string) => console.log(line);
  switch (command) {
    case 'migrate':
    case 'seed': {
      const db = createDb(config.database);
      try {
        await migrate(db, log);
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
