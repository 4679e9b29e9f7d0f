import type { Cluster, Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import {
  ACQUIRED, HELD, lookupResult, WRITTEN, type AlongsideKey, type CacheBytesEntry, type CacheEntry, type CacheStore, type EntryRequest, type LockOutcome,
  type LockRequest, type LookupBytesRequest, type LookupBytesResult, type LookupRequest, type LookupResult, type PutRequest, type RaiseRequest,
  type WriteOutcome,
} from './cache-store';
import { LocalCopies } from './local-copies';
import {
  assertLockTtl,
  DEFAULT_KEY_PREFIX,
  redisEntryKey,
  redisEntryKeyBase,
  redisGenerationKey,
  redisLockKey,
  ttlSecondsToMs,
} from './store-keys';
import { systemNow, type Now } from '../clock';

export interface RedisStoreOptions {
  /** First segment of every key; lets several deployments share one Redis. Default `rc`. */
  readonly keyPrefix?: string;
  /**
   * Whether close() also closes the client (default true). False when the composition root shares
   * the client with something else (a warming lock, say) and closes it itself.
   */
  readonly ownsClient?: boolean;
  /**
   * How many generation counters this process remembers (the last value it saw of each), so that a
   * lookup is one MGET instead of the script; past it the least recently seen are forgotten (their
   * next lookup runs the script). Default 100,000 (a few MB); 0 runs the script every time.
   */
  readonly rememberedGenerations?: number;
  /**
   * Bound, in bytes, of the entries kept in this process after lookupBytes read them from Redis,
   * for requests that give their ttlSeconds. A later lookupBytes of the same entry then reads only
   * the generations from Redis, and serves the copy if they have not moved. An entry is kept on
   * its first read, not when put: one read once is the price of keeping none of the entries that
   * are never read again (every one, when each request asks for something new). 0 (the default)
   * keeps none.
   */
  readonly localCopyMaxBytes?: number;
  /** Epoch ms, for the expiry of local copies; injectable for tests. */
  readonly now?: Now;
}

const DEFAULT_REMEMBERED_GENERATIONS = 100_000;

interface LookupKeys {
  readonly generationKeys: readonly string[];
  /** The request's floors, one per generation key (0 when it gave none). */
  readonly floors: readonly number[];
  /** The entry key without its `:<g1>.<g2>…` suffix. */
  readonly entryBase: string;
}

/** An entry to read alongside: its key without generations, and the facts it is stored at. */
interface AlongsideEntry {
  readonly entryBase: string;
  readonly factIndexes: readonly number[];
}

/**
 * KEYS[1]: the entry key without generations; KEYS[2..n+1]: the generation keys, in fact order;
 * KEYS[n+2..]: entry keys without generations of other entries to read alongside. ARGV[1]: n;
 * ARGV[2..n+1]: the floor of each fact (decimal); ARGV[j] for each alongside key KEYS[j]: the
 * 0-based indexes of the facts it is stored at, comma-separated, in its own order.
 * Returns { entry or nil, g1, …, gn, alongside entries or nil (only when the entry is absent) },
 * generations as strings.
 *
 * A counter that is absent or below its floor is raised to it first (a restarted Redis, one
 * restored from an old snapshot, a raise that never arrived): the store converges on the
 * committed generations whoever reads. A script runs atomically, so no other client's raise can
 * interleave between the GET and the SET. The entry key is built here from the generations just
 * read, which is why this is a script and not a pipeline; it shares the `{tag}` of KEYS[1], hence
 * the slot, so Cluster allows the access. Generations stay below 2^53: exact in Lua's doubles.
 */
const LOOKUP_LUA = `
local n = tonumber(ARGV[1])
local reply = { false }
for i = 2, n + 1 do
  local floor = ARGV[i]
  local g = redis.call('GET', KEYS[i])
  if not g or tonumber(g) < tonumber(floor) then
    redis.call('SET', KEYS[i], floor)
    g = floor
  end
  reply[i] = g
end
local entry = redis.call('GET', KEYS[1] .. ':' .. table.concat(reply, '.', 2, n + 1))
if entry then reply[1] = entry end
if not entry then
  for j = n + 2, #KEYS do
    local parts = {}
    for index in string.gmatch(ARGV[j], '%d+') do parts[#parts + 1] = reply[tonumber(index) + 2] end
    reply[j] = redis.call('GET', KEYS[j] .. ':' .. table.concat(parts, '.')) or false
  end
end
return reply
`;

/** KEYS: generation keys; ARGV: the generation each must reach. Never lowers a counter. */
const RAISE_LUA = `
for i = 1, #KEYS do
  local g = redis.call('GET', KEYS[i])
  if not g or tonumber(g) < tonumber(ARGV[i]) then redis.call('SET', KEYS[i], ARGV[i]) end
end
return #KEYS
`;

const LOOKUP_COMMAND = 'resolverCacheLookup';
/** defineCommand also adds `<name>Buffer`, which leaves the reply's bulk strings as Buffers. */
const LOOKUP_BUFFER_COMMAND = 'resolverCacheLookupBuffer';
const RAISE_COMMAND = 'resolverCacheRaise';

/** The scripts as defineCommand adds them: numkeys, then the keys (EVALSHA, EVAL on NOSCRIPT). */
interface ScriptCommands {
  [LOOKUP_COMMAND](numberOfKeys: number, ...keysThenArgs: string[]): Promise<[string | null, ...string[]]>;
  [LOOKUP_BUFFER_COMMAND](numberOfKeys: number, ...keysThenArgs: string[]): Promise<[Buffer | null, ...(Buffer | null)[]]>;
  [RAISE_COMMAND](numberOfKeys: number, ...keysThenArgs: string[]): Promise<number>;
}

/**
 * The CacheStore on Redis, single node or Cluster. No key is ever found by pattern (no KEYS, SCAN
 * or FLUSH): invalidation moves generations, and entries under old ones expire by TTL.
 *
 * A lookup is one round trip. When this process has seen every generation of the request before,
 * it is one MGET of the generation keys and of the entry key at those generations: MGET reads all
 * its keys at one instant, so if the generations it returns are the ones guessed, the entry it
 * returns is the entry at the current generations (or its absence). Otherwise (a generation moved,
 * by another process's raise, or was never seen, or is below the caller's floor) the lookup
 * script decides, and a second round trip is paid once. The script returns the value through Lua,
 * which copies it twice inside Redis: on a 40 kB entry the MGET costs Redis a tenth of it.
 * raise is one EVALSHA, put one SET PX, ttlMs one PTTL.
 */
export class RedisStore implements CacheStore {
  private readonly client: Redis | Cluster;
  private readonly commands: ScriptCommands;
  private readonly prefix: string;
  private readonly ownsClient: boolean;
  /** Generation key → the last generation this process read it at (an LRU; null: remembers none). */
  private readonly seen: LRUCache<string, number> | null;
  private readonly local: LocalCopies | null;
  private readonly now: Now;

  constructor(client: Redis | Cluster, options: RedisStoreOptions = {}) {
    this.client = client;
    this.prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.ownsClient = options.ownsClient ?? true;
    const remembered = options.rememberedGenerations ?? DEFAULT_REMEMBERED_GENERATIONS;
    this.seen = remembered > 0 ? new LRUCache<string, number>({ max: remembered }) : null;
    this.now = options.now ?? systemNow;
    const localBytes = options.localCopyMaxBytes ?? 0;
    this.local = localBytes > 0 ? new LocalCopies(localBytes, this.now) : null;
    // numberOfKeys omitted: the first argument of each call is the key count.
    client.defineCommand(LOOKUP_COMMAND, { lua: LOOKUP_LUA, readOnly: false });
    client.defineCommand(RAISE_COMMAND, { lua: RAISE_LUA, readOnly: false });
    this.commands = client as unknown as ScriptCommands;
  }

  async lookup(request: LookupRequest): Promise<LookupResult> {
    const { generations, raw } = await this.find(
      this.keysOf(request),
      [],
      (keys) => this.client.mget(...keys),
      (keys, args) => this.commands[LOOKUP_COMMAND](keys.length, ...keys, ...args),
    );
    return lookupResult(generations, raw === null ? null : decodeEntry(raw));
  }

  /**
   * lookup with the reply left as Buffers: the entry is never decoded to a string. With local
   * copies, an entry this process already holds at the generations it last saw costs an MGET of
   * the generations alone; if they moved, the script answers (and the copy is never served).
   */
  async lookupBytes(request: LookupBytesRequest): Promise<LookupBytesResult> {
    const keys = this.keysOf(request);
    const ttlMs = this.local === null ? null : ttlSecondsToMs(request.ttlSeconds ?? 0);
    let guessFirst = true;
    if (this.local !== null && ttlMs !== null) {
      const guess = this.recall(keys);
      const copy = guess === null ? null : this.local.get(`${keys.entryBase}:${guess.join('.')}`);
      if (guess !== null && copy !== null) {
        const current = keys.generationKeys.length === 0 ? [] : await this.client.mgetBuffer(...keys.generationKeys);
        if (sameGenerations(current, guess)) return { kind: 'hit', generations: guess, entry: copy };
        guessFirst = false; // a generation moved: the guess is wrong, ask the script at once
      }
    }
    // The alongside entries ride in the MGET whether the entry is found or not. With local copies
    // that MGET runs only when this process holds no copy of the entry (it is likely missing);
    // without them it runs on every hit, so they are not asked for (the caller looks them up).
    const alongside = this.local === null || request.alongside === undefined ? [] : this.alongsideKeys(request.tag, request.alongside());
    const { generations, raw, alongsideRaw } = await this.find(
      keys,
      alongside,
      (k) => this.client.mgetBuffer(...k),
      (k, args) => this.commands[LOOKUP_BUFFER_COMMAND](k.length, ...k, ...args),
      guessFirst,
    );
    const entry = raw === null ? null : decodeEntryBytes(raw);
    if (entry === null && alongsideRaw !== null) {
      return { kind: 'miss', generations, entry, alongside: alongsideRaw.map((r) => (r === null ? null : decodeEntry(r.toString('utf8')))) };
    }
    if (entry === null) return { kind: 'miss', generations, entry };
    if (this.local === null || ttlMs === null) return { kind: 'hit', generations, entry };
    // A copy: the reply may be a view into the parser's shared buffer.
    const copy = Buffer.from(entry.bytes);
    this.keepLocally(`${keys.entryBase}:${generations.join('.')}`, copy, entry.storedAt, ttlMs);
    return { kind: 'hit', generations, entry: { bytes: copy, storedAt: entry.storedAt } };
  }

  /** The generation keys of the request's facts and its entry key without generations. */
  private keysOf(request: LookupRequest): LookupKeys {
    return {
      generationKeys: request.facts.map((fact) => redisGenerationKey(request.tag, fact, this.prefix)),
      floors: request.facts.map((_, i) => request.floors?.[i] ?? 0),
      entryBase: redisEntryKeyBase(request.tag, request.baseKey, this.prefix),
    };
  }

  private alongsideKeys(tag: string, alongside: readonly AlongsideKey[]): AlongsideEntry[] {
    return alongside.map((a) => ({ entryBase: redisEntryKeyBase(tag, a.baseKey, this.prefix), factIndexes: a.factIndexes }));
  }

  private keepLocally(key: string, bytes: Buffer, storedAt: number, ttlMs: number): void {
    // Never past the entry's own expiry as its writer set it, nor past a TTL from now (a writer's
    // clock ahead of this one's).
    this.local?.set(key, bytes, storedAt, Math.min(storedAt + ttlMs, this.now() + ttlMs));
  }

  /**
   * The MGET when every generation is known and still current (and guessFirst), else the script;
   * the alongside entries (null when none were asked) come in the same reply.
   */
  private async find<T extends string | Buffer>(
    keys: LookupKeys,
    alongside: readonly AlongsideEntry[],
    mget: (keys: string[]) => Promise<(T | null)[]>,
    script: (keys: string[], args: string[]) => Promise<[T | null, ...(T | null)[]]>,
    guessFirst = true,
  ): Promise<{ generations: number[]; raw: T | null; alongsideRaw: (T | null)[] | null }> {
    const { generationKeys, entryBase, floors } = keys;
    const n = generationKeys.length;
    const guess = guessFirst ? this.recall(keys) : null;
    if (guess !== null) {
      const others = alongside.map((a) => `${a.entryBase}:${a.factIndexes.map((i) => guess[i]).join('.')}`);
      const reply = await mget([...generationKeys, `${entryBase}:${guess.join('.')}`, ...others]);
      if (sameGenerations(reply, guess)) {
        return { generations: guess, raw: reply[n] ?? null, alongsideRaw: alongside.length === 0 ? null : reply.slice(n + 1) };
      }
    }
    const args = [String(n), ...floors.map(String), ...alongside.map((a) => a.factIndexes.join(','))];
    const reply = await script([entryBase, ...generationKeys, ...alongside.map((a) => a.entryBase)], args);
    const generations = reply.slice(1, n + 1).map((g) => Number(g?.toString()));
    this.remember(generationKeys, generations);
    const others = reply.slice(n + 1);
    return { generations, raw: reply[0], alongsideRaw: alongside.length > 0 && others.length === alongside.length ? others : null };
  }

  /**
   * The generations last seen of every key, each raised to its floor (a counter behind its floor
   * is raised by the script, so the MGET cannot confirm it), or null when one was not seen.
   */
  private recall({ generationKeys, floors }: LookupKeys): number[] | null {
    if (this.seen === null) return null;
    const generations: number[] = [];
    for (let i = 0; i < generationKeys.length; i++) {
      // A peek, as the Map's get was: what counts as recent is what the script last answered.
      const generation = this.seen.peek(generationKeys[i]!);
      if (generation === undefined) return null;
      generations.push(Math.max(generation, floors[i] ?? 0));
    }
    return generations;
  }

  private remember(generationKeys: readonly string[], generations: readonly number[]): void {
    const seen = this.seen;
    if (seen === null) return;
    generationKeys.forEach((key, i) => {
      const generation = generations[i];
      // Set again, so it is the most recently seen; past the bound the least recently seen goes.
      if (generation !== undefined && Number.isSafeInteger(generation)) seen.set(key, generation);
    });
  }

  async put(request: PutRequest): Promise<WriteOutcome> {
    const ttlMs = ttlSecondsToMs(request.ttlSeconds);
    const key = redisEntryKey(request.tag, request.baseKey, request.generations, this.prefix);
    if (ttlMs === null) return WRITTEN;
    await this.client.set(key, encodeEntry(request.storedAt, request.value), 'PX', ttlMs);
    return WRITTEN;
  }

  async raise(request: RaiseRequest): Promise<WriteOutcome> {
    const keys = request.facts.map((fact) => redisGenerationKey(request.tag, fact, this.prefix));
    if (keys.length === 0) return WRITTEN;
    await this.commands[RAISE_COMMAND](keys.length, ...keys, ...request.generations.map(String));
    return WRITTEN;
  }

  async ttlMs(request: EntryRequest): Promise<number | null> {
    const ms = await this.client.pttl(redisEntryKey(request.tag, request.baseKey, request.generations, this.prefix));
    // -2: no such key; -1: no TTL, which put never writes (someone else's key): not an entry.
    return ms >= 0 ? ms : null;
  }

  /** SET NX PX: atomic, so of the processes asking at once exactly one gets it; it expires by itself. */
  async acquireLock(request: LockRequest): Promise<LockOutcome> {
    assertLockTtl(request.ttlMs);
    const reply = await this.client.set(redisLockKey(request.name, this.prefix), request.owner, 'PX', request.ttlMs, 'NX');
    return reply === 'OK' ? ACQUIRED : HELD;
  }

  async close(): Promise<void> {
    this.local?.clear();
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
export function encodeEntry(storedAt: number, value: string | Buffer): string | Buffer {
  if (typeof value === 'string') return `${storedAt}|${value}`;
  return Buffer.concat([Buffer.from(`${storedAt}|`, 'latin1'), value]);
}

/** null for a value this store did not write (no bar, or no number before it): a miss. */
export function decodeEntry(raw: string): CacheEntry | null {
  const bar = raw.indexOf('|');
  if (bar <= 0) return null;
  const storedAt = Number(raw.slice(0, bar));
  if (!Number.isFinite(storedAt)) return null;
  return { storedAt, value: raw.slice(bar + 1) };
}

const BAR = 0x7c;
/** Past this many bytes, no epoch ms in decimal comes before the bar: not an entry of this store. */
const MAX_STORED_AT_DIGITS = 20;

/** decodeEntry on bytes: the value is a view of `raw` after the bar, not a copy. */
export function decodeEntryBytes(raw: Buffer): CacheBytesEntry | null {
  const bar = raw.subarray(0, MAX_STORED_AT_DIGITS + 1).indexOf(BAR);
  if (bar <= 0) return null;
  const storedAt = Number(raw.toString('latin1', 0, bar));
  if (!Number.isFinite(storedAt)) return null;
  return { storedAt, bytes: raw.subarray(bar + 1) };
}

/** Whether the first generations of an MGET reply are, in order, the ones expected. */
function sameGenerations(reply: readonly (string | Buffer | null)[], expected: readonly number[]): boolean {
  return expected.every((generation, i) => {
    const value = reply[i];
    return value != null && Number(value.toString()) === generation;
  });
}
