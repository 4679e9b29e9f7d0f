/**
 * What the application tells the cache, as data plus one function per cached coordinate. The
 * cache itself knows no domain: it knows schema coordinates (`Query.book`), scopes (opaque
 * strings such as a portfolio id) and fact names.
 */
export interface CachePolicy<TContext> {
  /** Per cached type name: the fact kinds its values depend on (scoped by `scope` at run time). */
  readonly types: Readonly<Record<string, CachedTypePolicy>>;
  /** Per schema coordinate returning a cached type: how a call maps to its cache identity. */
  readonly fields: Readonly<Record<string, FieldPolicy<TContext>>>;
  /** TTL overrides in seconds by type name (configuration wins over the directive). */
  readonly ttlOverrides?: Readonly<Record<string, number>>;
}

export interface CachedTypePolicy {
  readonly dependsOn: readonly string[];
}

export interface FieldPolicy<TContext> {
  /**
   * Runs before the store is consulted, so authorization belongs here: throwing fails the field
   * exactly as the resolver would have. Returns the identity of the call (its scope and
   * normalized arguments, defaults filled in) or a reason to bypass the cache.
   */
  identify(args: Readonly<Record<string, unknown>>, context: TContext): Promise<Identity>;
}

export type Identity =
  | {
      readonly kind: 'cache';
      /** Data scope of the value (e.g. the portfolio id); also the store's hash tag. */
      readonly scope: string;
      /** Canonical arguments: two calls with the same normalized args share one entry. */
      readonly args: Readonly<Record<string, unknown>>;
    }
  | { readonly kind: 'bypass'; readonly reason: string };

/** The fact name of `kind` within `scope`, e.g. `positions:<portfolio id>`. */
export function factName(kind: string, scope: string): string {
  return `${kind}:${scope}`;
}
