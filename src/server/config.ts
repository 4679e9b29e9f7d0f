import { z } from 'zod';
import { corsPolicyOf, defaultCorsPolicy, type CorsPolicy } from './cors';
import { DEV_JOURNAL_KEY, JOURNAL_KEY_MIN_LENGTH } from '../domain/journal-hash-keys';
import type { CompressionSettings } from './compression';
import type { OperationLimits } from './operation-limits';
import type { RateLimitSettings } from './rate-limit';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const DEV_JWT_SECRET = 'pms-gateway-local-development-secret-do-not-use-in-production';

const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: z.coerce.number().int().min(0).max(65535).default(4000),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    DATABASE_URL: z
      .string()
      .url()
      .regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must be a postgres:// or postgresql:// URL (the gateway speaks only Postgres)')
      .optional(),
    DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
    PGLITE_DATA_DIR: z.string().min(1).default('.data/pglite'),
    SEED_DEMO: bool.optional(),
    JWT_SECRET: z.string().min(32, 'JWT_SECRET must be at least 32 characters').optional(),
    JWT_ISSUER: z.string().min(1).default('pms-gateway'),
    JWT_AUDIENCE: z.string().min(1).default('pms-gateway'),
    JWT_MAX_TTL_SECONDS: z.coerce.number().int().min(60).max(30 * 24 * 3600).default(12 * 3600),
    SANDBOX: bool.optional(),
    // The journal's MAC key (src/data/README.md, "The keyed journal"); retired keys only verify.
    JOURNAL_KEY: z.string().min(JOURNAL_KEY_MIN_LENGTH, `JOURNAL_KEY must be at least ${JOURNAL_KEY_MIN_LENGTH} characters`).optional(),
    JOURNAL_RETIRED_KEYS: z
      .string()
      .refine((v) => v.split(',').every((k) => k.length >= JOURNAL_KEY_MIN_LENGTH), `each of JOURNAL_RETIRED_KEYS (comma-separated) must be at least ${JOURNAL_KEY_MIN_LENGTH} characters`)
      .optional(),
    // Password given to the pms_gateway role by `npm run db:setup-roles` (none: pg_hba decides).
    GATEWAY_ROLE_PASSWORD: z.string().min(12, 'GATEWAY_ROLE_PASSWORD must be at least 12 characters').optional(),
    CACHE_ENABLED: bool.default('true'),
    CACHE_OPERATIONS: bool.default('true'),
    REDIS_URL: z.string().regex(/^rediss?:\/\//, 'REDIS_URL must start with redis:// or rediss://').optional(),
    REDIS_CLUSTER_NODES: z
      .string()
      .regex(/^[^,:\s]+:\d+(,[^,:\s]+:\d+)*$/, 'REDIS_CLUSTER_NODES must be host:port[,host:port…]')
      .optional(),
    CACHE_TIMEOUT_MS: z.coerce.number().int().min(1).max(10_000).default(100),
    CACHE_FAILURE_THRESHOLD: z.coerce.number().int().min(1).max(1000).default(5),
    CACHE_OPEN_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
    CACHE_MAX_BYTES: z.coerce.number().int().min(1_000_000).default(64 * 1024 * 1024),
    CACHE_LOCAL_MAX_BYTES: z.coerce.number().int().min(0).default(32 * 1024 * 1024),
    CACHE_TTL_BOOK: z.coerce.number().int().min(1).optional(),
    CACHE_TTL_RISK_LIVE: z.coerce.number().int().min(1).optional(),
    CACHE_TTL_MORNING_PACK: z.coerce.number().int().min(1).optional(),
    CACHE_TTL_ATTRIBUTION: z.coerce.number().int().min(1).optional(),
    // Seconds between cache warming runs (warm.ts); 0: off. Default per NODE_ENV: warmIntervalOf.
    CACHE_WARM_INTERVAL: z.coerce.number().int().min(0).max(86_400).optional(),
    // Request bounds (README, "Security"); the defaults pass every operation in client/operations.
    HTTP_MAX_BODY_BYTES: z.coerce.number().int().min(1_024).max(100_000_000).default(1_000_000),
    GRAPHQL_MAX_TOKENS: z.coerce.number().int().min(1).default(2_000),
    GRAPHQL_MAX_DEPTH: z.coerce.number().int().min(1).default(10),
    GRAPHQL_MAX_ALIASES: z.coerce.number().int().min(0).default(15),
    GRAPHQL_MAX_ROOT_FIELDS: z.coerce.number().int().min(1).default(10),
    GRAPHQL_MAX_DIRECTIVES: z.coerce.number().int().min(0).default(20),
    GRAPHQL_MAX_FIELD_MERGES: z.coerce.number().int().min(0).default(1_000),
    GRAPHQL_MAX_COST: z.coerce.number().int().min(1).default(150_000),
    // Requests per subject per window; 0 turns the limit off (the default under NODE_ENV=test).
    RATE_LIMIT_POINTS: z.coerce.number().int().min(0).optional(),
    RATE_LIMIT_DURATION_S: z.coerce.number().int().min(1).max(86_400).default(10),
    // Postgres statement_timeout of the gateway's connections; 0: none.
    DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).max(3_600_000).default(10_000),
    // Origins whose pages may call /graphql (cors.ts): `*`, or exact origins separated by commas.
    CORS_ORIGINS: z.string().transform(corsPolicyOf).optional(),
    // Response compression (compression.ts): gzip/brotli by Accept-Encoding, from this size up.
    COMPRESSION: bool.default('true'),
    COMPRESSION_MIN_BYTES: z.coerce.number().int().min(0).max(100_000_000).default(1_024),
    COMPRESSION_CACHE_MAX_BYTES: z.coerce.number().int().min(0).default(16 * 1024 * 1024),
    // Bound of a graceful stop (drain, then close Redis and Postgres); past it, the process exits.
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
    PORTFOLIO_MEMORY_SECONDS: z.coerce.number().int().min(0).max(86_400).default(60),
  })
  .superRefine((env, ctx) => {
    if (env.REDIS_URL && env.REDIS_CLUSTER_NODES) {
      ctx.addIssue({ code: 'custom', path: ['REDIS_CLUSTER_NODES'], message: 'set REDIS_URL or REDIS_CLUSTER_NODES, not both' });
    }
    if (env.NODE_ENV === 'production' && !env.JWT_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'JWT_SECRET is required in production' });
    }
    // The development secret is public (it is in this file): set explicitly, it would still let
    // anyone sign an ADMIN token.
    if (env.NODE_ENV === 'production' && env.JWT_SECRET === DEV_JWT_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'JWT_SECRET must not be the development secret in production' });
    }
    if (env.NODE_ENV === 'production' && (!env.JOURNAL_KEY || env.JOURNAL_KEY === DEV_JOURNAL_KEY)) {
      ctx.addIssue({ code: 'custom', path: ['JOURNAL_KEY'], message: 'JOURNAL_KEY is required in production (not the development key)' });
    }
  });

export interface Config {
  readonly env: 'development' | 'test' | 'production';
  readonly host: string;
  readonly port: number;
  readonly logLevel: string;
  readonly database:
    | { readonly kind: 'postgres'; readonly url: string; readonly poolMax: number; readonly statementTimeoutMs: number }
    | { readonly kind: 'pglite'; readonly dataDir: string };
  /** Seed the demo fund when the database has no portfolio yet. */
  readonly seedDemo: boolean;
  readonly jwt: {
    readonly secret: string;
    readonly issuer: string;
    readonly audience: string;
    /** True when the built-in development secret is in use (never in production). */
    readonly usingDevSecret: boolean;
    /** Tokens must carry `exp`, at most this many seconds after `iat` (and after now). */
    readonly maxTtlSeconds: number;
  };
  readonly journal: {
    /** Seals new journal entries and anchors. */
    readonly key: string;
    /** Keys of before a rotation: they verify what they sealed, and seal nothing. */
    readonly retiredKeys: readonly string[];
    /** True when the built-in development key is in use (never in production). */
    readonly usingDevKey: boolean;
  };
  /** The password `db:setup-roles` sets on the gateway's least-privilege role (null: none). */
  readonly gatewayRolePassword: string | null;
  /** Apollo Sandbox as the landing page of /graphql; off in production unless asked for. */
  readonly sandbox: boolean;
  readonly cache: CacheConfig;
  /** What one request may be: its body, and its operation (checked in that order, after the token). */
  readonly limits: { readonly bodyBytes: number; readonly operation: OperationLimits };
  /** Requests per subject per window (null: no limit). */
  readonly rateLimit: RateLimitSettings | null;
  /** Browser origins that may read /graphql's answers (CORS_ORIGINS; loopback pages outside production when unset). */
  readonly cors: CorsPolicy;
  /** gzip and brotli of /graphql responses, and the bound of compressed stored responses kept. */
  readonly compression: CompressionSettings;
  /** Bound of a graceful stop, ms (src/server/shutdown.ts). */
  readonly shutdownTimeoutMs: number;
  /** How long a gateway remembers a portfolio it looked up (PORTFOLIO_MEMORY_SECONDS; 0: never). */
  readonly portfolioMemorySeconds: number;
}

export interface CacheConfig {
  readonly enabled: boolean;
  /** Answer fully cached operations with stored response bytes (the hit path without execution). */
  readonly operations: boolean;
  /** Where entries live: Redis (one node or a Cluster) or this process's memory. */
  readonly store:
    | { readonly kind: 'memory'; readonly maxBytes: number }
    | { readonly kind: 'redis'; readonly url: string }
    | { readonly kind: 'redis-cluster'; readonly nodes: readonly string[] };
  /**
   * With Redis: bytes of whole responses kept in process, so that a hit reads only generations
   * from Redis (0: none).
   */
  readonly localCopyMaxBytes: number;
  /** Bound of every store call, ms; past it the call counts as a failure and the read as a miss. */
  readonly timeoutMs: number;
  readonly failureThreshold: number;
  readonly openMs: number;
  /** TTL overrides in seconds by cached type name. */
  readonly ttlOverrides: Readonly<Record<string, number>>;
  /** Seconds between scheduled warming runs (the first right after start); 0: no warming. */
  readonly warmIntervalSeconds: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Reads and validates the environment once at start; every problem is reported, by variable name,
 * on one line. An empty variable (`PORT=""`, `KEY=` in an env file) counts as unset, for every
 * variable alike: coerced, it would be 0 (a random port) or an empty secret.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const set = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''));
  const parsed = schema.safeParse(set);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  return {
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    database: e.DATABASE_URL
      ? { kind: 'postgres', url: e.DATABASE_URL, poolMax: e.DATABASE_POOL_MAX, statementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS }
      : { kind: 'pglite', dataDir: e.PGLITE_DATA_DIR },
    seedDemo: e.SEED_DEMO ?? e.NODE_ENV !== 'production',
    jwt: {
      secret: e.JWT_SECRET ?? DEV_JWT_SECRET,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      usingDevSecret: !e.JWT_SECRET || e.JWT_SECRET === DEV_JWT_SECRET,
      maxTtlSeconds: e.JWT_MAX_TTL_SECONDS,
    },
    journal: {
      key: e.JOURNAL_KEY ?? DEV_JOURNAL_KEY,
      // Outside production the public development key also verifies, so entries a seed or a test
      // sealed with it stay valid under a configured key. Production never trusts it.
      retiredKeys: [
        ...(e.JOURNAL_RETIRED_KEYS ? e.JOURNAL_RETIRED_KEYS.split(',') : []),
        ...(e.NODE_ENV === 'production' ? [] : [DEV_JOURNAL_KEY]),
      ],
      usingDevKey: !e.JOURNAL_KEY || e.JOURNAL_KEY === DEV_JOURNAL_KEY,
    },
    gatewayRolePassword: e.GATEWAY_ROLE_PASSWORD ?? null,
    sandbox: e.SANDBOX ?? e.NODE_ENV !== 'production',
    cache: {
      enabled: e.CACHE_ENABLED,
      operations: e.CACHE_OPERATIONS,
      store: e.REDIS_URL
        ? { kind: 'redis', url: e.REDIS_URL }
        : e.REDIS_CLUSTER_NODES
          ? { kind: 'redis-cluster', nodes: e.REDIS_CLUSTER_NODES.split(',') }
          : { kind: 'memory', maxBytes: e.CACHE_MAX_BYTES },
      localCopyMaxBytes: e.CACHE_LOCAL_MAX_BYTES,
      timeoutMs: e.CACHE_TIMEOUT_MS,
      failureThreshold: e.CACHE_FAILURE_THRESHOLD,
      openMs: e.CACHE_OPEN_MS,
      ttlOverrides: Object.fromEntries(
        Object.entries({
          Book: e.CACHE_TTL_BOOK,
          RiskLive: e.CACHE_TTL_RISK_LIVE,
          MorningPack: e.CACHE_TTL_MORNING_PACK,
          Attribution: e.CACHE_TTL_ATTRIBUTION,
        }).filter((entry): entry is [string, number] => entry[1] !== undefined),
      ),
      warmIntervalSeconds: e.CACHE_WARM_INTERVAL ?? DEFAULT_WARM_INTERVAL_SECONDS[e.NODE_ENV],
    },
    limits: {
      bodyBytes: e.HTTP_MAX_BODY_BYTES,
      operation: {
        tokens: e.GRAPHQL_MAX_TOKENS,
        depth: e.GRAPHQL_MAX_DEPTH,
        aliases: e.GRAPHQL_MAX_ALIASES,
        rootFields: e.GRAPHQL_MAX_ROOT_FIELDS,
        directives: e.GRAPHQL_MAX_DIRECTIVES,
        fieldMerges: e.GRAPHQL_MAX_FIELD_MERGES,
        cost: e.GRAPHQL_MAX_COST,
      },
    },
    rateLimit: rateLimitOf(e.RATE_LIMIT_POINTS ?? (e.NODE_ENV === 'test' ? 0 : DEFAULT_RATE_LIMIT_POINTS), e.RATE_LIMIT_DURATION_S),
    cors: e.CORS_ORIGINS ?? defaultCorsPolicy(e.NODE_ENV),
    compression: { enabled: e.COMPRESSION, minBytes: e.COMPRESSION_MIN_BYTES, cachedMaxBytes: e.COMPRESSION_CACHE_MAX_BYTES },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    portfolioMemorySeconds: e.PORTFOLIO_MEMORY_SECONDS,
  };
}

/**
 * Generous on purpose: a runaway client is stopped, people and the benchmark (one subject at
 * this machine's full rate, ~10,000 requests/s) are not. Production sets its own (README).
 */
const DEFAULT_RATE_LIMIT_POINTS = 200_000;

/**
 * Production: every minute, the RiskLive TTL: live risk and MTD attribution (300 s) stay warm,
 * the book (30 s) half the time, and a deploy or a Redis restart is cold for a minute at most;
 * one instance computes three fields per active portfolio a minute. Development: every five
 * minutes (the embedded database has one connection, shared with the person in Sandbox). Test:
 * off, so no suite computes what it did not ask for; the warming tests turn it on.
 */
const DEFAULT_WARM_INTERVAL_SECONDS = { production: 60, development: 300, test: 0 } as const;

function rateLimitOf(points: number, durationSeconds: number): RateLimitSettings | null {
  return points > 0 ? { points, durationSeconds } : null;
}
