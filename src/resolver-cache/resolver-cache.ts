import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import {
  defaultFieldResolver, getNamedType, isObjectType, type GraphQLField, type GraphQLFieldResolver, type GraphQLResolveInfo,
  type GraphQLSchema, type ResponsePath,
} from 'graphql';
import { LRUCache } from 'lru-cache';
import { baseKey, KeyDigests } from './cache-key';
import { cachedTtl } from './directive';
import { GenerationFloors } from './generations';
import { toReport, type CacheHooks, type CacheOutcome } from './outcome';
import { factName, type CachePolicy, type FieldPolicy } from './policy';
import { cacheStateOf, type CacheContext } from './request-state';
import { SingleFlight } from './single-flight';
import { assertNever, type CacheStore, type LookupResult, type WriteOutcome } from './store/cache-store';
import { StoreUnavailableError } from './store/resilient-store';
import { systemNow, type Now } from './clock';

export interface ResolverCacheOptions<TContext> {
  readonly store: CacheStore;
  readonly policy: CachePolicy<TContext>;
  readonly hooks?: CacheHooks;
  /**
   * The committed generations this process knows of (see generations.ts). Default: floors of
   * this process alone, which `invalidate` issues; several processes share a source of truth
   * and announce each commit (`committed`).
   */
  readonly floors?: GenerationFloors;
  /** The plugin's clock (clock.ts): entry ages, the single flight's linger. Default: the system's. */
  readonly now?: Now;
}

/** Why a field was served without the cache while the floors are not complete. */
export const UNSYNCED_REASON = 'generations-unsynced';

/** A field the cache wraps, resolved once at schema build. */
export interface CachedField<TContext> {
  readonly coordinate: string;
  readonly typeName: string;
  readonly ttlSeconds: number;
  readonly dependsOn: readonly string[];
  readonly policy: FieldPolicy<TContext>;
}

export class CachePolicyError extends Error {
  override readonly name = 'CachePolicyError';
}

/** Documents whose mayResolveCached answer is remembered; the least recently asked go past it. */
const MAX_REMEMBERED_DOCUMENTS = 1_000;
/** Longer documents are scanned every time, never kept: the memory stays small whatever is sent. */
export const MAX_REMEMBERED_QUERY_CHARS = 16_384;

/**
 * A lookup at generations no lower than `floors`: a store that answered below a floor (one that
 * ignores floors, or an offered lookup older than a raise) gets its generations raised and its
 * entry dropped, since the entry was stored before a commit this process knows of.
 */
function atFloors(found: LookupResult, floors: readonly number[]): LookupResult {
  if (found.generations.every((generation, i) => generation >= (floors[i] ?? 0))) return found;
  return { kind: 'miss', generations: found.generations.map((generation, i) => Math.max(generation, floors[i] ?? 0)), entry: null };
}

function pathOf(path: ResponsePath | undefined): string {
  const parts: (string | number)[] = [];
  for (let p = path; p; p = p.prev) parts.unshift(p.key);
  return parts.join('.');
}

/**
 * The resolver-level cache. `apply` wraps, once at schema build, the fields that return a
 * `@cached` type (or carry `@cached`); nothing else pays anything. A wrapped field:
 * identifies the call through the policy (authorization first), looks up generations and value in
 * one store round trip, and on a miss computes once per key in this process (single flight) and
 * stores the serialized value under the generations it read before computing. Store failures
 * degrade to misses; errors are never cached; mutation fields are never wrapped.
 */
export class ResolverCache<TContext extends CacheContext> {
  private readonly store: CacheStore;
  private readonly policy: CachePolicy<TContext>;
  private readonly hooks: CacheHooks;
  private readonly now: Now;
  /** The committed generation of each fact known here: no read uses a lower one. */
  readonly floors: GenerationFloors;
  /** Lingers 1 s: covers the gap between a reader's miss and the leader's store write. */
  private readonly flights: SingleFlight<{ readonly value: unknown; readonly startedAt: number; stored: boolean }>;
  private readonly fields = new Map<string, CachedField<TContext>>();
  /** The names of the cached fields (without their types), once each. */
  private fieldNames: readonly string[] = [];
  /** Query text → whether it names a cached field (see mayResolveCached); an LRU. */
  private readonly namesCached = new LRUCache<string, boolean>({ max: MAX_REMEMBERED_DOCUMENTS });
  /** The operation cache computes a root field's key before execution, the field again: one hash. */
  private readonly digests = new KeyDigests();

  constructor(options: ResolverCacheOptions<TContext>) {
    this.store = options.store;
    this.policy = options.policy;
    this.hooks = options.hooks ?? {};
    this.now = options.now ?? systemNow;
    this.floors = options.floors ?? GenerationFloors.local(this.now);
    this.flights = new SingleFlight<{ readonly value: unknown; readonly startedAt: number; stored: boolean }>(1_000, this.now);
  }

  /** The coordinates wrapped by `apply`, with their TTLs (for logs and tests). */
  get cachedFields(): ReadonlyMap<string, { readonly typeName: string; readonly ttlSeconds: number }> {
    return this.fields;
  }

  /** What `apply` resolved for a coordinate (TTL, facts, policy), for the operation cache. */
  describe(coordinate: string): CachedField<TContext> | undefined {
    return this.fields.get(coordinate);
  }

  /**
   * Opens a store read whose misses may lead to computing cached fields (a read ticket of the
   * single flight): the operation cache opens one for its lookup and leaves it in the request's
   * state, where the root fields close it once they have acted on what it read.
   */
  openRead(): number {
    return this.flights.openRead();
  }

  /** Closes a read `openRead` opened (idempotent). */
  closeRead(ticket: number | null): void {
    if (ticket !== null) this.flights.closeRead(ticket);
  }

  /** The base key a field's entry is stored under, for an identity the policy gave (its args and scope). */
  fieldBaseKey(cached: CachedField<TContext>, args: Readonly<Record<string, unknown>>, scope: string): string {
    return baseKey(cached.coordinate, args, scope, this.digests);
  }

  /** Validates the policy against the schema and wraps the cached fields in place. */
  apply(schema: GraphQLSchema): GraphQLSchema {
    const found = this.collect(schema);
    for (const { field, cached } of found) {
      this.fields.set(cached.coordinate, cached);
      field.resolve = this.wrap(cached, field.resolve ?? defaultFieldResolver);
    }
    this.fieldNames = [...new Set([...this.fields.values()].map((cached) => cached.coordinate.slice(cached.coordinate.indexOf('.') + 1)))];
    this.namesCached.clear();
    return schema;
  }

  /**
   * Whether a document may resolve a cached field: its text names one (as a field, under an alias,
   * in a fragment, or only in a comment: false positives only cost a listener). Remembered by
   * query text. A request whose document names none gets no listener at all, so Apollo's hooks
   * have nothing to call for it (a query of uncached fields costs the cache nothing).
   */
  mayResolveCached(query: string | undefined): boolean {
    if (query === undefined) return true;
    const known = this.namesCached.get(query);
    if (known !== undefined) return known;
    const found = this.fieldNames.some((name) => query.includes(name));
    if (query.length > MAX_REMEMBERED_QUERY_CHARS) return found;
    this.namesCached.set(query, found);
    return found;
  }

  /**
   * Adds `extensions.cache` (one report per cached field of the operation) to responses. The
   * listener is one object for every request that may resolve a cached field (others get none),
   * and a request that resolves none allocates nothing: its reports are created in the request's
   * cache state (request-state.ts) by the first cached field.
   */
  apolloPlugin(): ApolloServerPlugin<TContext> {
    const listener: GraphQLRequestListener<TContext> = {
      willSendResponse: ({ contextValue, response }) => {
        const reports = contextValue.cacheState?.reports;
        if (reports != null && response.body.kind === 'single') {
          const result = response.body.singleResult;
          result.extensions = { ...result.extensions, cache: reports };
        }
        return Promise.resolve();
      },
    };
    const started = Promise.resolve(listener);
    const none = Promise.resolve();
    return { requestDidStart: ({ request }) => (this.mayResolveCached(request.query) ? started : none) };
  }

  /**
   * For one process that issues its own generations (the default floors): gives the facts of
   * `kinds` within `scope` new generations, so every dependent entry becomes unreachable.
   */
  async invalidate(scope: string, kinds: readonly string[]): Promise<void> {
    if (kinds.length === 0) return;
    await this.committed(scope, this.floors.issue(kinds.map((k) => factName(k, scope))));
  }

  /**
   * After a write committed `generations` (fact name → generation, all of `scope`): raises this
   * process's floors at once (it reads its own writes whatever the store does), then the store's
   * counters, so other processes see the write before they hear of it. Resolves to whether the
   * store took the raise; when it did not, other processes rely on the announcement alone.
   */
  async committed(scope: string, generations: Readonly<Record<string, number>>): Promise<'raised' | 'unavailable'> {
    this.floors.raise(generations);
    const facts = Object.keys(generations);
    if (facts.length === 0) return 'raised';
    // The caller decides what an unraised store means (the server waits for the announcement).
    let raised: WriteOutcome;
    try {
      raised = await this.store.raise({ tag: scope, facts, generations: facts.map((fact) => generations[fact]!) });
    } catch {
      return 'unavailable'; // a bare adapter that failed
    }
    switch (raised.kind) {
      case 'written':
        return 'raised';
      case 'unavailable':
        return 'unavailable';
      default:
        return assertNever(raised);
    }
  }

  /**
   * Write-through: computes the value of `coordinate` for a known identity and stores it under the
   * current generations, so the next read is a hit. Used after a write, once its facts are bumped,
   * and by scheduled warming. Resolves to what happened: `stored` (computed and handed to the
   * store), or why nothing was stored: the floors are not synced, or the store could not answer
   * the lookup (nothing computed) or the write.
   */
  async warm(coordinate: string, scope: string, args: Readonly<Record<string, unknown>>, compute: () => Promise<unknown>): Promise<'stored' | 'unsynced' | 'unavailable'> {
    const cached = this.fields.get(coordinate);
    if (!cached) throw new CachePolicyError(`${coordinate} is not a cached field`);
    const key = baseKey(coordinate, args, scope, this.digests);
    const facts = cached.dependsOn.map((k) => factName(k, scope));
    if (!this.floors.isSynced) return 'unsynced';
    const startedAt = this.now();
    const found = await this.store.lookup({ tag: scope, facts, baseKey: key, floors: this.floors.floorsOf(facts) });
    // The store unavailable: nothing to warm, reads will be misses anyway.
    if (found.kind === 'unavailable') return 'unavailable';
    const generations = found.generations;
    const value = JSON.stringify((await compute()) ?? null);
    this.hooks.onCompute?.({ coordinate, typeName: cached.typeName });
    const written = await this.store.put({ tag: scope, baseKey: key, generations, value, ttlSeconds: cached.ttlSeconds, storedAt: startedAt });
    return written.kind === 'written' ? 'stored' : 'unavailable';
  }

  private collect(schema: GraphQLSchema) {
    const mutationType = schema.getMutationType();
    const subscriptionType = schema.getSubscriptionType();
    const found: { field: GraphQLField<unknown, TContext>; cached: CachedField<TContext> }[] = [];
    const errors: string[] = [];
    for (const typeName of Object.keys(this.policy.types)) {
      const type = schema.getType(typeName);
      if (!type || !isObjectType(type)) errors.push(`cache policy names type ${typeName}, which the schema does not have`);
      else if (cachedTtl(schema, type) === undefined) errors.push(`cache policy names type ${typeName}, which has no @cached directive`);
    }
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__') || type === mutationType || type === subscriptionType) continue;
      for (const field of Object.values(type.getFields())) {
        const returned = getNamedType(field.type);
        const typeTtl = cachedTtl(schema, returned);
        const fieldTtl = cachedTtl(schema, field);
        if (typeTtl === undefined && fieldTtl === undefined) continue;
        const coordinate = `${type.name}.${field.name}`;
        const policy = this.policy.fields[coordinate];
        const typePolicy = this.policy.types[returned.name];
        if (!policy) {
          errors.push(`${coordinate} returns @cached ${returned.name} but the cache policy has no entry for it`);
          continue;
        }
        if (!typePolicy) {
          errors.push(`${coordinate} returns @cached ${returned.name} but the policy declares no facts for ${returned.name}`);
          continue;
        }
        const ttlSeconds = this.policy.ttlOverrides?.[returned.name] ?? fieldTtl ?? typeTtl ?? 0;
        if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
          errors.push(`${coordinate}: ttl must be a positive number of seconds, got ${ttlSeconds}`);
          continue;
        }
        found.push({
          field: field as GraphQLField<unknown, TContext>,
          cached: { coordinate, typeName: returned.name, ttlSeconds, dependsOn: typePolicy.dependsOn, policy },
        });
      }
    }
    for (const coordinate of Object.keys(this.policy.fields)) {
      if (!found.some((f) => f.cached.coordinate === coordinate)) {
        errors.push(`cache policy has an entry for ${coordinate}, which is not a field returning a @cached type`);
      }
    }
    if (errors.length > 0) throw new CachePolicyError(`Invalid cache policy:\n  ${errors.join('\n  ')}`);
    return found;
  }

  private report(context: TContext, info: GraphQLResolveInfo, cached: CachedField<TContext>, outcome: CacheOutcome): void {
    const report = toReport(pathOf(info.path), cached.coordinate, cached.typeName, outcome);
    const state = cacheStateOf(context);
    if (state.reports === null) state.reports = [report];
    else state.reports.push(report);
    const event = { coordinate: cached.coordinate, typeName: cached.typeName };
    switch (outcome.kind) {
      case 'hit':
        this.hooks.onHit?.({ ...event, ageSeconds: outcome.ageSeconds });
        return;
      case 'miss':
        this.hooks.onMiss?.({ ...event, shared: outcome.shared });
        return;
      case 'bypass':
        this.hooks.onBypass?.({ ...event, reason: outcome.reason });
        return;
    }
  }

  /**
   * The lookup, or null when the store could not answer (unavailable, or it threw). A store that
   * answers with a generation below its floor is not trusted with the entry.
   */
  private async safeLookup(cached: CachedField<TContext>, tag: string, facts: string[], key: string, floors: readonly number[]): Promise<LookupResult | null> {
    try {
      const found = await this.store.lookup({ tag, facts, baseKey: key, floors });
      switch (found.kind) {
        case 'hit':
        case 'miss':
          return atFloors(found, floors);
        case 'unavailable':
          this.hooks.onError?.({ coordinate: cached.coordinate, typeName: cached.typeName, operation: 'lookup', error: new StoreUnavailableError(found.reason) });
          return null;
        default:
          return assertNever(found);
      }
    } catch (error) {
      this.hooks.onError?.({ coordinate: cached.coordinate, typeName: cached.typeName, operation: 'lookup', error });
      return null;
    }
  }

  private wrap(cached: CachedField<TContext>, resolve: GraphQLFieldResolver<unknown, TContext>): GraphQLFieldResolver<unknown, TContext> {
    return async (source, args: Record<string, unknown>, context, info) => {
      const identity = await cached.policy.identify(args, context);
      if (identity.kind === 'bypass' || !this.floors.isSynced) {
        // Floors not complete: this process may have missed an invalidation, so the store may
        // hold entries it must not serve. The database answers until they are reloaded.
        this.report(context, info, cached, { kind: 'bypass', reason: identity.kind === 'bypass' ? identity.reason : UNSYNCED_REASON });
        return resolve(source, args, context, info);
      }
      const tag = identity.scope;
      // Taken before anything is read: an entry's storedAt (the age reported to clients) never
      // claims data fresher than it is.
      const startedAt = this.now();
      const key = baseKey(cached.coordinate, identity.args, tag, this.digests);
      const facts = cached.dependsOn.map((k) => factName(k, tag));
      const floors = this.floors.floorsOf(facts);
      const state = info.path.prev === undefined ? context.cacheState : undefined;
      const offered = state?.offeredLookups?.get(key);
      // A read of its own is open until this field has acted on it (joined, led or hit), the
      // operation cache's until every root field has: a result it may have missed stays joinable.
      const ticket = offered === undefined ? this.flights.openRead() : 0;
      const looked = offered !== undefined ? offered : await this.safeLookup(cached, tag, facts, key, floors);
      const acted = (): void => this.closeRead(offered === undefined ? ticket : state!.tookOffer(key));
      // The floors again, after the store's round trip: an announcement that arrived meanwhile
      // (a write the store had not heard of) still keeps this read from the entry before it.
      const found = looked === null ? null : atFloors(looked, this.floors.floorsOf(facts));
      if (found?.entry) {
        acted();
        const ageSeconds = Math.max(0, Math.floor((this.now() - found.entry.storedAt) / 1000));
        this.report(context, info, cached, { kind: 'hit', ageSeconds, ttlSeconds: cached.ttlSeconds });
        return JSON.parse(found.entry.value) as unknown;
      }
      // Keyed by the generations in force, the floors when the store could not answer: a
      // computation started before an invalidation this process knows of is never joined by a
      // reader that comes after it, and it stores where no one will look.
      const flightKey = `${tag}\n${key}\n${(found ? found.generations : this.floors.floorsOf(facts)).join('.')}`;
      const storedWhole = state?.storedWhole === true;
      const store = found !== null && !storedWhole;
      const { leader, result, release } = this.flights.run(flightKey, async () => {
        const value: unknown = (await resolve(source, args, context, info)) ?? null;
        this.hooks.onCompute?.({ coordinate: cached.coordinate, typeName: cached.typeName });
        // The leader's start: the entry must not claim data fresher than its computation read.
        return { value, startedAt, stored: false };
      });
      acted();
      const computed = await result;
      // Whoever first needs the entry writes it, leader or not: a leader whose response is stored
      // whole writes none, and a reader sharing its computation may still need one.
      if (store && !computed.stored) {
        computed.stored = true;
        // Not awaited: the answer does not wait for the store. A store connection runs commands in
        // order, so this process's next lookup of the key still comes after the write.
        void this.safePut(cached, { tag, baseKey: key, generations: found.generations, value: JSON.stringify(computed.value), ttlSeconds: cached.ttlSeconds, storedAt: computed.startedAt });
      }
      // The entry was just sent (or there is none to wait for): later reads find it. A response
      // stored whole is found by its own document only; other documents that read this field still
      // join the computation, up to the single flight's bounds, so it is not released.
      if (!storedWhole) release();
      this.report(context, info, cached, { kind: 'miss', ttlSeconds: cached.ttlSeconds, shared: !leader });
      // The computed value itself, not its JSON round trip: the scalars serialize both forms
      // alike (the tests compare hit and miss responses), and a miss does not parse what it just
      // serialized.
      return computed.value;
    };
  }

  private async safePut(cached: CachedField<TContext>, request: Parameters<CacheStore['put']>[0]): Promise<void> {
    try {
      const written = await this.store.put(request);
      if (written.kind === 'unavailable') {
        this.hooks.onError?.({ coordinate: cached.coordinate, typeName: cached.typeName, operation: 'put', error: new StoreUnavailableError(written.reason) });
      }
    } catch (error) {
      this.hooks.onError?.({ coordinate: cached.coordinate, typeName: cached.typeName, operation: 'put', error });
    }
  }
}
