import { PgliteLockError } from '../data/pglite-lock';
import { ConfigError, type Config } from './config';

/**
 * What stopped the gateway from starting, as the one line a person reads: which variable or
 * resource, what to do. Start-up failures are the operator's, not the code's: no stack trace.
 */
export type StartupErrorCode =
  | 'CONFIG_INVALID'
  | 'PORT_UNAVAILABLE'
  | 'DATABASE_UNREACHABLE'
  | 'DATABASE_REFUSED'
  | 'PGLITE_DIR_LOCKED'
  | 'PGLITE_DIR_UNUSABLE';

export class StartupError extends Error {
  override readonly name = 'StartupError';
  constructor(
    readonly code: StartupErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * `postgres://user:secret@db:5432/pms` → `db:5432/pms` (the same for redis://): where, never who
 * or with what password.
 */
export function describeUrl(url: string, defaultPort: number): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || defaultPort}${parsed.pathname.length > 1 ? parsed.pathname : ''}`;
  } catch {
    return '(unparseable URL)';
  }
}

export function describeDatabaseUrl(url: string): string {
  return describeUrl(url, 5432);
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET']);

/**
 * Postgres' answers that mean "this database, with these credentials, will not serve you", by
 * SQLSTATE: bad password or role, no such database, too many connections, starting up.
 */
const REFUSAL_STATES: Readonly<Record<string, string>> = {
  '28P01': 'password authentication failed',
  '28000': 'role not allowed to connect',
  '3D000': 'database does not exist',
  '53300': 'too many connections',
  '57P03': 'the server is starting up or shutting down',
};

function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  // pg reports an unreachable host with several addresses as an AggregateError.
  if (error instanceof AggregateError) return errnoOf(error.errors[0]);
  return undefined;
}

/**
 * The one-line StartupError for a failure during start-up, or null for one that is not the
 * operator's to fix (a bug: printed with its stack). `phase` says what was being done.
 */
export function toStartupError(error: unknown, config: Config | null, phase: 'database' | 'listen'): StartupError | null {
  if (error instanceof StartupError) return error;
  if (error instanceof ConfigError) return new StartupError('CONFIG_INVALID', error.message);
  if (error instanceof PgliteLockError) return new StartupError(error.code, error.message);
  const code = errnoOf(error);
  if (phase === 'listen' && config) {
    const where = `${config.host}:${config.port}`;
    switch (code) {
      case 'EADDRINUSE':
        return new StartupError('PORT_UNAVAILABLE', `PORT ${config.port} on HOST ${config.host} is in use by another process: stop it or set PORT (or HOST)`);
      case 'EACCES':
        return new StartupError('PORT_UNAVAILABLE', `PORT ${config.port} on HOST ${config.host}: permission denied (ports below 1024 need privileges): set PORT`);
      case 'EADDRNOTAVAIL':
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return new StartupError('PORT_UNAVAILABLE', `HOST ${config.host} is not an address of this machine (${code}) for ${where}: set HOST`);
      default:
        // Listening also starts the generation feed's connection to the database (below).
        break;
    }
  }
  if (config?.database.kind === 'postgres') {
    const where = describeDatabaseUrl(config.database.url);
    if (code !== undefined && NETWORK_CODES.has(code)) {
      return new StartupError('DATABASE_UNREACHABLE', `DATABASE_URL: cannot reach Postgres at ${where} (${code}): is it running, and is DATABASE_URL right?`);
    }
    const refusal = code === undefined ? undefined : REFUSAL_STATES[code];
    if (refusal !== undefined) {
      // The server's own words name the role or database (never a password), else ours.
      const said = error instanceof Error && error.message.length > 0 && !error.message.includes('\n') ? error.message : refusal;
      return new StartupError('DATABASE_REFUSED', `DATABASE_URL: Postgres at ${where} refused the connection: ${said} (${code})`);
    }
    if (error instanceof Error && /timeout/i.test(error.message) && /connection|acquir/i.test(error.message)) {
      return new StartupError('DATABASE_UNREACHABLE', `DATABASE_URL: no answer from Postgres at ${where} (connection timeout): is it running, and is DATABASE_URL right?`);
    }
  }
  if (config?.database.kind === 'pglite' && code !== undefined && /^E[A-Z]+$/.test(code)) {
    return new StartupError('PGLITE_DIR_UNUSABLE', `PGLITE_DATA_DIR ${config.database.dataDir}: the embedded database cannot use the folder (${code}); set PGLITE_DATA_DIR to a writable folder`);
  }
  return null;
}
