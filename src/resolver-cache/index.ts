/** The resolver-level cache: a GraphQL plugin that knows schema coordinates, scopes and facts. */
export { systemNow, type Now } from './clock';
export { cachedDirective, cachedTtl, CACHED_DIRECTIVE_NAME } from './directive';
export { ResolverCache, CachePolicyError, UNSYNCED_REASON, type ResolverCacheOptions } from './resolver-cache';
export { GenerationFloors, type GenerationFloorsOptions } from './generations';
export { factName, type CachePolicy, type CachedTypePolicy, type FieldPolicy, type Identity } from './policy';
export type { CacheHooks, CacheOutcome, FieldReport } from './outcome';
export {
  assertNever, lookupResult, type CacheStore, type CacheEntry, type CacheBytesEntry, type EntryRequest, type LockOutcome, type LockRequest,
  type LookupBytesOutcome, type LookupBytesRequest, type LookupBytesResult, type LookupOutcome, type LookupRequest, type LookupResult,
  type PutRequest, type RaiseRequest, type StoreUnavailable, type UnavailableReason, type WriteOutcome,
} from './store/cache-store';
export { MemoryStore, type MemoryStoreOptions } from './store/memory-store';
export { RedisStore, type RedisStoreOptions } from './store/redis-store';
export { createRedisClient, waitForReady, type RedisClientOptions, type RedisTarget } from './store/redis-client';
export { ResilientStore, StoreUnavailableError, type ResilientStoreOptions, type CircuitState } from './store/resilient-store';
export { OperationCache, type OperationCacheOptions, type OperationRequest, type OperationHit, type OperationServe, type PreparedOperation } from './operation-cache';
export { CacheRequestState, cacheStateOf, type CacheContext, type MissTicket } from './request-state';
