import pg from 'pg';
import type { Db } from '../data/db';
import {
  decodeFactGenerations, FACT_GENERATIONS_CHANNEL, loadFactGenerations, type FactGenerationsChange,
} from '../data/fact-generation.repository';
import type { GenerationFloors } from '../resolver-cache';
import type { Logger } from './logger';

/**
 * Keeps this process's floors (the committed generation of every fact) in step with Postgres:
 * loaded from `fact_generations` at start and at every reconnect, raised by every commit's
 * notification. While it cannot listen, the floors are marked unsynced and the cache serves
 * nothing from the store until they are reloaded.
 */
export interface GenerationFeed {
  /** Whether notifications are being received and the floors were reloaded since the last gap. */
  readonly listening: boolean;
  /** The Postgres backend pid of the listening connection (pg_stat_activity), null when none. */
  readonly listenerPid: number | null;
  /**
   * Resolves true once the notification of every generation given has come back to this process
   * (so Postgres has sent it to every listening instance), false after `timeoutMs`.
   */
  awaitAnnounced(generations: Readonly<Record<string, number>>, timeoutMs: number): Promise<boolean>;
  /** Loads the floors and starts listening (the tables must exist: after migrations). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface GenerationFeedOptions {
  /** How often the listening connection is checked with a query, in ms (default 1,000). */
  readonly heartbeatMs?: number;
  /** First wait before reconnecting, in ms, doubled per failure (default 100). */
  readonly initialBackoffMs?: number;
  /** Longest wait between reconnection attempts, in ms (default 2,000). */
  readonly maxBackoffMs?: number;
}

/** knex-pglite keeps its one embedded database on the client: a single process, nobody else to tell. */
export function isEmbedded(db: Db): boolean {
  return (db.client as { pglite?: unknown }).pglite !== undefined;
}

/**
 * The feed for `db`: on Postgres, a LISTEN connection of its own; embedded, only the load at
 * start (one process writes alone, and raises its own floors). The floors stay unsynced, so the
 * cache is bypassed, until `start` has loaded them.
 */
export function createGenerationFeed(db: Db, floors: GenerationFloors, logger: Logger, options: GenerationFeedOptions = {}): GenerationFeed {
  floors.desync();
  if (!isEmbedded(db)) return new PostgresGenerationFeed(db, floors, logger, options);
  return {
    get listening() {
      return floors.isSynced;
    },
    listenerPid: null,
    awaitAnnounced: () => Promise.resolve(true),
    async start() {
      const snapshot = await loadFactGenerations(db);
      floors.reconcile(snapshot.baseline, snapshot.generations);
    },
    stop: () => Promise.resolve(),
  };
}

/** How the listening connection names itself in pg_stat_activity. */
export const FEED_APPLICATION_NAME = 'pms-gateway-generations';

/** Bound of the announced generations remembered for writers that have not asked yet. */
const MAX_ANNOUNCED = 10_000;

interface Waiter {
  readonly needed: Map<string, number>;
  readonly done: (heard: boolean) => void;
}

class PostgresGenerationFeed implements GenerationFeed {
  private client: pg.Client | null = null;
  private stopped = false;
  private heartbeat: NodeJS.Timeout | null = null;
  private retry: NodeJS.Timeout | null = null;
  private backoffMs: number;
  private downSince: number | null = null;
  /** Highest generation announced per fact lately (a writer may ask after its notification came). */
  private readonly announced = new Map<string, number>();
  private readonly waiters = new Set<Waiter>();
  private readonly heartbeatMs: number;
  private readonly maxBackoffMs: number;
  private readonly initialBackoffMs: number;

  constructor(
    private readonly db: Db,
    private readonly floors: GenerationFloors,
    private readonly logger: Logger,
    options: GenerationFeedOptions,
  ) {
    this.heartbeatMs = options.heartbeatMs ?? 1_000;
    this.maxBackoffMs = options.maxBackoffMs ?? 2_000;
    this.initialBackoffMs = options.initialBackoffMs ?? 100;
    this.backoffMs = this.initialBackoffMs;
  }

  get listenerPid(): number | null {
    return (this.client as { processID?: number } | null)?.processID ?? null;
  }

  start(): Promise<void> {
    return this.connect();
  }

  get listening(): boolean {
    return this.floors.isSynced;
  }

  /**
   * LISTEN first, then load: a commit between the two is both loaded and announced, and floors
   * only rise, so the order they arrive in does not matter. A failure leaves the floors unsynced
   * and tries again with backoff.
   */
  private async connect(): Promise<void> {
    if (this.stopped) return;
    const settings = (this.db.client as { connectionSettings: string | pg.ClientConfig }).connectionSettings;
    const base: pg.ClientConfig = typeof settings === 'string' ? { connectionString: settings } : { ...settings };
    const client = new pg.Client({ ...base, application_name: FEED_APPLICATION_NAME, keepAlive: true });
    this.client = client;
    client.on('notification', (message) => {
      if (message.channel === FACT_GENERATIONS_CHANNEL) this.heard(decodeFactGenerations(message.payload));
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    try {
      await client.connect();
      await client.query(`listen ${FACT_GENERATIONS_CHANNEL}`);
      const snapshot = await loadFactGenerations(this.db);
      if (this.client !== client) return;
      this.floors.reconcile(snapshot.baseline, snapshot.generations);
      this.backoffMs = this.initialBackoffMs;
      if (this.downSince !== null) {
        this.logger.info({ generations: { downMs: Date.now() - this.downSince } }, 'invalidation feed: listening again, floors reloaded; cache serving');
        this.downSince = null;
      }
      this.beat(client);
    } catch (error) {
      this.lost(client, error);
    }
  }

  awaitAnnounced(generations: Readonly<Record<string, number>>, timeoutMs: number): Promise<boolean> {
    const needed = new Map<string, number>();
    for (const [fact, generation] of Object.entries(generations)) {
      if ((this.announced.get(fact) ?? 0) < generation) needed.set(fact, generation);
    }
    if (needed.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => waiter.done(false), timeoutMs);
      const waiter: Waiter = {
        needed,
        done: (heard) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(heard);
        },
      };
      this.waiters.add(waiter);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.heartbeat) clearTimeout(this.heartbeat);
    if (this.retry) clearTimeout(this.retry);
    for (const waiter of [...this.waiters]) waiter.done(false);
    const client = this.client;
    this.client = null;
    if (client) await client.end().catch(() => undefined);
  }

  private heard(change: FactGenerationsChange | null): void {
    if (change === null) return;
    this.floors.raise(change.generations);
    if (this.announced.size >= MAX_ANNOUNCED) this.announced.clear();
    for (const [fact, generation] of Object.entries(change.generations)) {
      if ((this.announced.get(fact) ?? 0) < generation) this.announced.set(fact, generation);
    }
    for (const waiter of [...this.waiters]) {
      for (const [fact, generation] of waiter.needed) {
        if ((change.generations[fact] ?? 0) >= generation) waiter.needed.delete(fact);
      }
      if (waiter.needed.size === 0) waiter.done(true);
    }
  }

  /** A query on the listening connection every heartbeatMs: a connection that died silently is found within two beats. */
  private beat(client: pg.Client): void {
    this.heartbeat = setTimeout(() => {
      if (this.client !== client) return;
      const timer = setTimeout(() => this.lost(client, new Error(`no answer to the heartbeat within ${this.heartbeatMs} ms`)), this.heartbeatMs);
      client.query('select 1').then(
        () => {
          clearTimeout(timer);
          this.beat(client);
        },
        (error: unknown) => {
          clearTimeout(timer);
          this.lost(client, error);
        },
      );
    }, this.heartbeatMs);
    this.heartbeat.unref();
  }

  /** The connection is gone or unusable: floors unsynced at once, a new connection after backoff. */
  private lost(client: pg.Client, error: unknown): void {
    if (this.client !== client) return;
    this.client = null;
    this.floors.desync();
    if (this.heartbeat) clearTimeout(this.heartbeat);
    // end() can wait for a dead peer: the socket is dropped at once instead.
    (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
    if (this.stopped) return;
    if (this.downSince === null) {
      this.downSince = Date.now();
      this.logger.warn({ err: error }, 'invalidation feed: not listening; cache bypassed until the floors are reloaded');
    }
    this.retry = setTimeout(() => void this.connect(), this.backoffMs);
    this.retry.unref();
    this.backoffMs = Math.min(this.backoffMs * 2, this.maxBackoffMs);
  }
}
