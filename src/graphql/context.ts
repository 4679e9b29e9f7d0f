import { Unauthenticated } from '../domain/errors';
import type { CacheRequestState } from '../resolver-cache';
import type { Actor } from '../services/access';
import type { Loaders, ServiceDeps } from '../services/deps';

/** Everything a resolver may use, built once per request. Resolvers are stateless. */
export interface Context {
  readonly requestId: string;
  /** Null when the request carried no (valid) token; every operation then answers UNAUTHENTICATED. */
  readonly actor: Actor | null;
  /** Why a token that was sent could not be accepted (expired, bad signature), if it could not. */
  readonly authError: string | null;
  readonly loaders: Loaders;
  readonly services: ServiceDeps;
  /** The cache plugin's state for this request (request-state.ts), created by the cache when it needs one. */
  cacheState?: CacheRequestState;
}

export function requireActor(ctx: Context): Actor {
  if (!ctx.actor) throw new Unauthenticated(ctx.authError ?? 'A bearer token is required (Authorization: Bearer <jwt>)');
  return ctx.actor;
}
