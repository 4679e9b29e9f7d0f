import type { Cluster, Redis } from 'ioredis';
import type { BumpRequest, CacheEntry, CacheStore, LookupRequest, LookupResult, PutRequest } from './cache-store';
import {
  DEFAULT_KEY_PREFIX,
  redisEntryKey,
  redisEntryKeyBase,
  redisGenerationKey,
  ttlSecondsToMs,
} from './store-keys';

export interface RedisStoreOptions {
  /** First segment of every key; lets several deployments share one Redis. Default `rc`. */
  readonly keyPrefix?: string;
  /**
   * Whether close() also closes the client (default true). False when the composition root shares
   * the client with something else (a warming lock, say) and closes it itself.
   */
  readonly ownsClient?: boolean;
}

/**
 * The store's clock in ms, from Redis TIME ([seconds, microseconds]). Formatted with %d: Lua 5.1
 * numbers are doubles, and tostring() prints them with 14 significant digits at most.
 * A script may write after calling TIME because Redis replicates scripts by their effects: always
 * from 7.0, by default from 5.0, and on request (replicate_commands, a no-op since 7.0) before.
 */
const TIME_MS = `
if redis.replicate_commands then redis.replicate_commands() end
local function time_ms()
  local t = redis.call('TIME')
  return string.format('%d', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
end
`;

/**
 * KEYS[1]: the entry key without generations; KEYS[2..]: the generation keys, in fact order.
 * Returns { entry or nil, g1, g2, … }, generations as strings.
 *
 * A script runs atomically, so the GET-then-SET of an absent generation cannot interleave with
 * another client's: no one can win a SET NX race in between, and the value set is the value read.
 * The entry key is built here from the generations just read, which is why lookup is a script and
 * not a pipeline; it shares the `{tag}` of KEYS[1], hence the slot, so Cluster allows the access.
 */
const LOOKUP_LUA = `${TIME_MS}
local reply = { false }
local now
for i = 2, #KEYS do
  local g = redis.call('GET', KEYS[i])
  if not g then
    now = now or time_ms()
    redis.call('SET', KEYS[i], now)
    g = now
  end
  reply[i] = g
end
local entry = redis.call('GET', KEYS[1] .. ':' .. table.concat(reply, '.', 2))
if entry then reply[1] = entry end
return reply
`;

/**
 * KEYS: the generation keys. INCR of an absent key would start from 0 and issue 1, 2, … which
 * numbers issued before a Redis restart may already have used: initialize from TIME first.
 */
const BUMP_LUA = `${TIME_MS}
local reply = {}
local now
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 0 then
    now = now or time_ms()
    redis.call('SET', KEYS[i], now)
  end
  reply[i] = redis.call('INCR', KEYS[i])
end
return reply
`;

const LOOKUP_COMMAND = 'resolverCacheLookup';
const BUMP_COMMAND = 'resolverCacheBump';

/** The scripts as defineCommand adds them: numkeys, then the keys (EVALSHA, EVAL on NOSCRIPT). */
interface ScriptCommands {
  [LOOKUP_COMMAND](numberOfKeys: number, ...keys: string[]): Promise<[string | null, ...string[]]>;
  [BUMP_COMMAND](numberOfKeys: number, ...keys: string[]): Promise<number[]>;
}

/**
 * The CacheStore on Redis, single node or Cluster. lookup and bump are one EVALSHA each, put one
 * SET PX, ttlMs one PTTL. No key is ever found by pattern (no KEYS, SCAN or FLUSH): invalidation
 * moves generations, and entries under old ones expire by TTL.
 */
export class RedisStore implements CacheStore {
  private readonly client: Redis | Cluster;
  private readonly commands: ScriptCommands;
  private readonly prefix: string;
  private readonly ownsClient: boolean;

  constructor(client: Redis | Cluster, options: RedisStoreOptions = {}) {
    this.client = client;
    this.prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.ownsClient = options.ownsClient ?? true;
    // numberOfKeys omitted: the first argument of each call is the key count.
    client.defineCommand(LOOKUP_COMMAND, { lua: LOOKUP_LUA, readOnly: false });
    client.defineCommand(BUMP_COMMAND, { lua: BUMP_LUA, readOnly: false });
    this.commands = client as unknown as ScriptCommands;
  }

  async lookup(request: LookupRequest): Promise<LookupResult> {
    const keys = [
      redisEntryKeyBase(request.tag, request.baseKey, this.prefix),
      ...request.facts.map((fact) => redisGenerationKey(request.tag, fact, this.prefix)),
    ];
    const [raw, ...generations] = await this.commands[LOOKUP_COMMAND](keys.length, ...keys);
    return { generations: generations.map(Number), entry: raw === null ? null : decodeEntry(raw) };
  }

  async put(request: PutRequest): Promise<void> {
    const ttlMs = ttlSecondsToMs(request.ttlSeconds);
    const key = redisEntryKey(request.tag, request.baseKey, request.generations, this.prefix);
    if (ttlMs === null) return;
    await this.client.set(key, encodeEntry(request.storedAt, request.value), 'PX', ttlMs);
  }

  async bump(request: BumpRequest): Promise<readonly number[]> {
    const keys = request.facts.map((fact) => redisGenerationKey(request.tag, fact, this.prefix));
    if (keys.length === 0) return [];
    return this.commands[BUMP_COMMAND](keys.length, ...keys);
  }

  async ttlMs(request: Omit<PutRequest, 'value' | 'ttlSeconds' | 'storedAt'>): Promise<number | null> {
    const ms = await this.client.pttl(redisEntryKey(request.tag, request.baseKey, request.generations, this.prefix));
    // -2: no such key; -1: no TTL, which put never writes (someone else's key): not an entry.
    return ms >= 0 ? ms : null;
  }

  async close(): Promise<void> {
    if (!this.ownsClient) return;
    try {
      await this.client.quit();
    } catch {
      // Already disconnected (quit rejects without a connection): drop it outright.
      this.client.disconnect();
    }
  }
}

/**
 * `<storedAt>|<value>`: storedAt in decimal epoch ms, then the value untouched. Decoding reads
 * at most a few characters to find the bar and never parses the value.
 */
export function encodeEntry(storedAt: number, value: string): string {
  return `${storedAt}|${value}`;
}

/** null for a value this store did not write (no bar, or no number before it): a miss. */
export function decodeEntry(raw: string): CacheEntry | null {
  const bar = raw.indexOf('|');
  if (bar <= 0) return null;
  const storedAt = Number(raw.slice(0, bar));
  if (!Number.isFinite(storedAt)) return null;
  return { storedAt, value: raw.slice(bar + 1) };
}
