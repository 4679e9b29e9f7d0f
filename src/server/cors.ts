import type http from 'node:http';
import cors from 'cors';
import type { z } from 'zod';

/**
 * Which browser origins may read /graphql's responses (CORS_ORIGINS). Authentication is a bearer
 * token the page holds and sends itself, never a cookie, so credentials are never allowed and
 * CORS is not what protects the data: it decides which pages a browser lets read the answers.
 */
export type CorsPolicy =
  /** `CORS_ORIGINS=*`: every origin (`Access-Control-Allow-Origin: *`, no credentials). */
  | { readonly kind: 'any' }
  /** Outside production when unset: `http://localhost`, `http://127.0.0.1`, `http://[::1]`, any port. */
  | { readonly kind: 'loopback' }
  /** Exactly these origins (`scheme://host[:port]`); none: no cross-origin access. */
  | { readonly kind: 'origins'; readonly origins: readonly string[] };

/** What a request passed to the hook needs next. */
export type CorsOutcome = 'answered' | 'continue';

export interface CorsHook {
  /**
   * The `Vary` value every /graphql answer carries under the policy (`Origin` with an allowlist,
   * so that a shared cache never hands one origin's answer to another), or null. The HTTP layer
   * writes it with each answer's own headers.
   */
  readonly vary: string | null;
  /**
   * Runs first for every /graphql request: answers a preflight ('answered') or sets the CORS
   * headers on `res` for whatever answers the request later ('continue').
   */
  handle(req: http.IncomingMessage, res: http.ServerResponse): CorsOutcome;
}

/** The request headers a GraphQL client sends (Apollo Client, graphql-request, fetch). */
const ALLOWED_HEADERS = ['content-type', 'authorization', 'apollo-require-preflight', 'x-apollo-operation-name', 'x-request-id'];
/** Response headers a page may read beyond the CORS-safelisted ones (content-type, ...). */
const EXPOSED_HEADERS = ['x-request-id'];
/**
 * How long a browser may reuse a preflight's answer, in seconds: one preflight per origin and
 * request shape every 10 minutes (Chromium caps it at 2 hours), and a change of CORS_ORIGINS
 * reaches open pages within that time.
 */
export const CORS_MAX_AGE_SECONDS = 600;

/** The code of the 403 answering a preflight from an origin the policy does not allow. */
export const CORS_REFUSED_CODE = 'CORS_ORIGIN_NOT_ALLOWED';

const LOOPBACK_ORIGIN = /^http:\/\/(?:localhost|127\.0\.0\.1|\[::1\])(?::\d{1,5})?$/;

/** The policy when CORS_ORIGINS is unset: loopback pages in development and tests, none in production. */
export function defaultCorsPolicy(env: 'development' | 'test' | 'production'): CorsPolicy {
  return env === 'production' ? { kind: 'origins', origins: [] } : { kind: 'loopback' };
}

/** Whether a page on `origin` (the request's Origin header, as the browser serialized it) may read responses. */
export function allowsOrigin(policy: CorsPolicy, origin: string): boolean {
  switch (policy.kind) {
    case 'any':
      return true;
    case 'loopback':
      return LOOPBACK_ORIGIN.test(origin);
    case 'origins':
      return policy.origins.includes(origin);
  }
}

/**
 * CORS_ORIGINS as config.ts's schema reads it: `*` alone, or a comma-separated list of exact
 * origins, each written as the browser sends it (`https://app.example.com`, `http://localhost:5173`:
 * scheme, lower-case host, port only when not the default, no path); an empty value counts as
 * unset, as for every variable. Anything else is an issue naming the entry, so the gateway refuses to start.
 */
export function corsPolicyOf(text: string, ctx: z.RefinementCtx): CorsPolicy {
  const trimmed = text.trim();
  if (trimmed === '') return { kind: 'origins', origins: [] };
  if (trimmed === '*') return { kind: 'any' };
  const entries = trimmed.split(',').map((entry) => entry.trim());
  const origins = new Set<string>();
  for (const entry of entries) {
    const problem = problemOf(entry);
    if (problem === null) origins.add(entry);
    else ctx.addIssue({ code: 'custom', message: problem });
  }
  return { kind: 'origins', origins: [...origins] };
}

/** Why `entry` is not an exact origin, or null when it is one. */
function problemOf(entry: string): string | null {
  if (entry === '') return 'an empty entry (origins are separated by single commas)';
  if (entry === '*') return '"*" allows every origin and stands alone, not in a list';
  if (entry.includes('*')) return `entry "${entry}" has a wildcard: list each origin exactly`;
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return `entry "${entry}" is not an origin (scheme://host[:port], e.g. https://app.example.com)`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `entry "${entry}" is not an http or https origin`;
  // A path, a trailing slash, upper case or a default port would never equal the Origin header.
  if (url.origin !== entry) return `entry "${entry}" is not an origin as a browser sends it; did you mean "${url.origin}"?`;
  return null;
}

/**
 * The CORS hook of /graphql, on the `cors` package's logic: a preflight from an allowed origin is
 * answered 204 with the methods, request headers and max-age a GraphQL client needs, before the
 * CSRF check, the gate and Apollo; every other request from an allowed origin gets
 * `Access-Control-Allow-Origin` (the origin, or `*` under `CORS_ORIGINS=*`) and
 * `Access-Control-Expose-Headers` set on `res`, so that whatever answers it (Apollo, the operation
 * cache's hit path, a refusal of the gate) carries them.
 *
 * A preflight from any other origin is answered 403 `CORS_ORIGIN_NOT_ALLOWED` with no allow header
 * (the browser then never sends the request); other requests from it, and requests without an
 * Origin (same-origin GETs, curl, servers), go on without CORS headers: a browser keeps the answer
 * from a foreign page, and a same-origin page (Apollo Sandbox on the gateway's own origin) needs
 * none. With an allowlist, `Vary: Origin` is on every response, so a shared cache never hands one
 * origin's answer to another.
 */
export function createCorsHook(policy: CorsPolicy): CorsHook {
  const middleware = cors({
    // A function: the package adds its headers only for an allowed origin, and calls next() with
    // none for the others (an array would still add the allow headers to their preflights).
    origin: policy.kind === 'any' ? '*' : (origin, callback) => callback(null, origin !== undefined && allowsOrigin(policy, origin)),
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: EXPOSED_HEADERS,
    credentials: false,
    maxAge: CORS_MAX_AGE_SECONDS,
    preflightContinue: false,
    optionsSuccessStatus: 204,
  });
  const dynamic = policy.kind !== 'any';
  const handle = (req: http.IncomingMessage, res: http.ServerResponse): CorsOutcome => {
    const origin = req.headers.origin;
    // No Origin and no preflight (curl, servers, same-origin GETs): under an allowlist the package
    // would add nothing, so it is not asked.
    if (dynamic && origin === undefined && req.method !== 'OPTIONS') return 'continue';
    // Answers other than preflights get `vary` from the HTTP layer, with their own headers.
    if (dynamic && req.method === 'OPTIONS') res.setHeader('vary', 'Origin');
    let passed = false;
    // The package calls next(null) for an origin it does not allow.
    middleware(req, res, (error?: unknown) => {
      if (error !== undefined && error !== null) throw error instanceof Error ? error : new Error('cors middleware failed');
      passed = true;
    });
    // With static options and a synchronous origin function the package finishes within the
    // call: it either ended the response (a preflight) or called next.
    if (!passed) {
      if (!res.writableEnded) throw new Error('cors middleware neither answered nor passed the request on');
      return 'answered';
    }
    if (req.method === 'OPTIONS' && origin !== undefined && dynamic) {
      refusePreflight(res, origin);
      return 'answered';
    }
    return 'continue';
  };
  return { vary: dynamic ? 'Origin' : null, handle };
}

function refusePreflight(res: http.ServerResponse, origin: string): void {
  const body = JSON.stringify({
    errors: [{
      message: `Origin ${origin} may not call this gateway from a browser (CORS_ORIGINS).`,
      extensions: { code: CORS_REFUSED_CODE },
    }],
  });
  res.writeHead(403, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
