// Shared by the benchmark's runner, load generator and contender servers: where things are
// (loopback Postgres and Redis, the bench database and Redis DBs), the JWT secret, and small
// helpers (a plain HTTP request, a Prometheus text parser, median and percentile).
import http from 'node:http';

/** Everything runs on the loopback interface: the servers listen there, the load targets it. */
export const HOST = '127.0.0.1';

/** The machine's Postgres (trust auth); the bench owns the `pms_bench` database on it. */
export const PG_BASE_URL = process.env.BENCH_PG_URL ?? `postgres://postgres@${HOST}:5432`;
export const BENCH_DB_NAME = 'pms_bench';
export const BENCH_DATABASE_URL = `${PG_BASE_URL}/${BENCH_DB_NAME}`;

/** The machine's Redis; the bench owns DB 14 (the gateway's resolver cache) and DB 15 (the rest). */
export const REDIS_BASE_URL = process.env.BENCH_REDIS_URL ?? `redis://${HOST}:6379`;
export const GATEWAY_REDIS_DB = 14;
export const REFERENCE_REDIS_DB = 15;
export const redisUrl = (db: number): string => `${REDIS_BASE_URL}/${db}`;

/** Key of DB 15 that holds the book response bytes the ceiling answers with. */
export const CEILING_KEY = 'bench:ceiling:book';

/** Given to every contender server; a token signed with it is valid on all of them. */
export const BENCH_JWT_SECRET = 'pms-bench-jwt-secret-loopback-only-0123456789';

export const BIG_PORTFOLIO = 'BENCH_BIG';
export const missPortfolioCode = (n: number): string => `BENCH_MISS_${String(n).padStart(4, '0')}`;
/** The desk scenario's books (hottest first), and where the positions its runs opened are moved. */
export const deskPortfolioCode = (n: number): string => `BENCH_DESK_${String(n).padStart(2, '0')}`;
export const DESK_RETIRED_PORTFOLIO = 'BENCH_DESK_RETIRED';

/** The environment every contender server gets (loadConfig reads it), before its own overrides. */
export function baseServerEnv(): Record<string, string> {
  return {
    NODE_ENV: 'production',
    HOST,
    PORT: '0',
    LOG_LEVEL: 'warn',
    DATABASE_URL: BENCH_DATABASE_URL,
    DATABASE_POOL_MAX: '10',
    JWT_SECRET: BENCH_JWT_SECRET,
    JOURNAL_KEY: 'bench-journal-key-bench-journal-key-0123',
    // Scenarios measure reads and writes, not a warm run landing in the middle of a round.
    CACHE_WARM_INTERVAL: '0',
    SEED_DEMO: 'false',
    SANDBOX: 'false',
    // The per-subject rate limit runs (as in production) but never refuses: every load of the
    // bench comes from one token's subject, at far more than the default 200,000 per 10 s.
    RATE_LIMIT_POINTS: '100000000',
  };
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/** One request on a fresh connection (or on `agent`), the whole body buffered. */
export function httpRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; agent?: http.Agent; timeoutMs?: number } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: options.method ?? 'GET', headers: options.headers, agent: options.agent ?? false, timeout: options.timeoutMs ?? 30_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${options.method ?? 'GET'} ${url} timed out`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Prometheus text → value per metric name, summed over label sets. */
export function parsePrometheus(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.length === 0 || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match?.[1] || match[3] === undefined) continue;
    const value = Number(match[3]);
    if (!Number.isFinite(value)) continue;
    out.set(match[1], (out.get(match[1]) ?? 0) + value);
  }
  return out;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}
