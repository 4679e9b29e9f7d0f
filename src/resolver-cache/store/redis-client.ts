import { Cluster, Redis, type ClusterNode, type ClusterOptions, type RedisOptions } from 'ioredis';

/**
 * How to reach Redis for the resolver cache: one node by URL (`redis://host:port/db`, `rediss://`
 * for TLS) or a Cluster by its seed nodes (`host:port`, any subset of the masters is enough).
 */
export type RedisTarget =
  | { readonly kind: 'single'; readonly url: string }
  | { readonly kind: 'cluster'; readonly nodes: readonly string[] };

export interface RedisClientOptions {
  readonly target: RedisTarget;
  /**
   * Client-side bound of one command in ms. The cache is an optimization: a command that has not
   * answered by then is abandoned (the ResilientStore's own, outer timeout covers the whole call).
   */
  readonly commandTimeoutMs?: number;
  /** Bound of one TCP connect in ms. */
  readonly connectTimeoutMs?: number;
  /** Upper bound of the reconnect backoff in ms (it grows by 50 ms per attempt up to this). */
  readonly maxReconnectDelayMs?: number;
  /**
   * Connection errors as ioredis emits them (once per failed attempt: while Redis is down that is
   * one per reconnect). Without a listener ioredis prints each to the console; the default drops
   * them, since the ResilientStore reports the outage once per state change instead.
   */
  readonly onError?: (error: Error) => void;
  /** Name shown by CLIENT LIST, to tell this gateway's connections apart. */
  readonly connectionName?: string;
}

const DEFAULT_COMMAND_TIMEOUT_MS = 100;
const DEFAULT_CONNECT_TIMEOUT_MS = 1_000;
const DEFAULT_MAX_RECONNECT_DELAY_MS = 2_000;

/**
 * Builds the ioredis client the RedisStore runs on, tuned to fail fast rather than to wait:
 * no offline queue (a command issued while disconnected is rejected at once instead of being held
 * until a reconnect), no per-request retries (a retried cache read is slower than a miss), a
 * command timeout, and a capped reconnect backoff so the client keeps trying forever, cheaply.
 * No auto-pipelining: measured on the benchmark, ioredis builds a pipeline object per tick for
 * it, which on the miss path (commands of concurrent requests rarely share a tick) cost about
 * 500 µs of CPU per request here, and hits gained nothing from it.
 * Connects eagerly; use `waitForReady` where start-up should wait for it.
 */
export function createRedisClient(options: RedisClientOptions): Redis | Cluster {
  const maxDelay = options.maxReconnectDelayMs ?? DEFAULT_MAX_RECONNECT_DELAY_MS;
  // Returning a number means "reconnect after that many ms"; never null, so the client never
  // gives up: Redis coming back after an hour must be picked up without a restart.
  const backoff = (times: number): number => Math.min(times * 50, maxDelay);
  const common: RedisOptions = {
    commandTimeout: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    connectTimeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    // 0: a command whose connection drops is rejected, not re-sent after the reconnect.
    maxRetriesPerRequest: 0,
    lazyConnect: false,
    ...(options.connectionName === undefined ? {} : { connectionName: options.connectionName }),
  };
  const onError = options.onError ?? ((): void => undefined);

  switch (options.target.kind) {
    case 'single': {
      const client = new Redis(options.target.url, {
        ...common,
        enableOfflineQueue: false,
        retryStrategy: backoff,
      });
      client.on('error', onError);
      return client;
    }
    case 'cluster': {
      const clusterOptions: ClusterOptions = {
        enableOfflineQueue: false,
        // Rebuilding the slot map after losing every seed node: same capped backoff.
        clusterRetryStrategy: backoff,
        // A restarted master with the same slots is reconnected to instead of waiting for MOVED.
        clusterNodeRetryStrategy: backoff,
        // Short waits on MOVED/ASK/CLUSTERDOWN/TRYAGAIN: the outer timeout bounds the total anyway.
        retryDelayOnFailover: 50,
        retryDelayOnClusterDown: 50,
        retryDelayOnTryAgain: 50,
        slotsRefreshTimeout: common.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_MS,
        scaleReads: 'master',
        // Never auto-pipelined on a Cluster either: ioredis groups such pipelines by the slot of
        // a command's first argument, which for EVALSHA is the key count, not a key (ioredis#2109).
        redisOptions: common,
      };
      const client = new Cluster(options.target.nodes.map(parseNode), clusterOptions);
      client.on('error', onError);
      return client;
    }
  }
}

/** Resolves once the client is ready for commands; rejects after `timeoutMs`. */
export async function waitForReady(client: Redis | Cluster, timeoutMs = 5_000): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      reject(new Error(`Redis not ready after ${timeoutMs} ms (status ${client.status})`));
    }, timeoutMs);
    const onReady = (): void => {
      clearTimeout(timer);
      resolve();
    };
    client.once('ready', onReady);
  });
}

function parseNode(hostPort: string): ClusterNode {
  const at = hostPort.lastIndexOf(':');
  const port = Number(hostPort.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port <= 0 || port > 65_535) {
    throw new Error(`Redis Cluster node must be host:port, got "${hostPort}"`);
  }
  // "[::1]:7000" → host "::1".
  return { host: hostPort.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port };
}
