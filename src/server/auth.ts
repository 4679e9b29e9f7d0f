import jwt from 'jsonwebtoken';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { ROLES } from '../domain/types';
import type { Actor } from '../services/access';

export interface JwtSettings {
  readonly secret: string;
  readonly issuer: string;
  readonly audience: string;
  /** The longest a token may live (exp − iat, and exp − now); DEFAULT_MAX_TTL_SECONDS if not given. */
  readonly maxTtlSeconds?: number;
}

/** 12 hours: a working day, what `npm run tokens` issues. */
export const DEFAULT_MAX_TTL_SECONDS = 12 * 3600;

/**
 * A token must expire, and soon: one without `exp` would be valid forever once leaked, one that
 * lives for a year nearly so. Its lifetime is measured from its `iat` and, whatever `iat` says,
 * from now.
 */
const lifetime = z.object({ exp: z.number(), iat: z.number().optional() });

/** The claims the gateway reads: who (sub), what they may do (role), and where (portfolios). */
const claims = z.object({
  sub: z.string().min(1),
  role: z.enum(ROLES),
  portfolios: z.union([z.literal('*'), z.array(z.string().min(1))]),
});

export type Authentication =
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'authenticated'; readonly actor: Actor }
  | { readonly kind: 'invalid'; readonly reason: string };

/**
 * Reads `Authorization: Bearer <jwt>`; HS256 only, issuer and audience checked, and an expiry
 * within the maximum lifetime required.
 */
export function authenticate(header: string | undefined, settings: JwtSettings, nowMs: number = Date.now()): Authentication {
  if (!header) return { kind: 'anonymous' };
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!match?.[1]) return { kind: 'invalid', reason: 'Authorization header must be "Bearer <token>"' };
  try {
    const payload = jwt.verify(match[1], settings.secret, {
      algorithms: ['HS256'],
      clockTimestamp: Math.floor(nowMs / 1000),
      issuer: settings.issuer,
      audience: settings.audience,
    });
    const parsed = claims.safeParse(payload);
    if (!parsed.success) return { kind: 'invalid', reason: 'Token claims must include sub, role and portfolios' };
    const life = lifetime.safeParse(payload);
    if (!life.success) return { kind: 'invalid', reason: 'Token must carry an expiry (exp)' };
    const maxTtl = settings.maxTtlSeconds ?? DEFAULT_MAX_TTL_SECONDS;
    const nowSeconds = Math.floor(nowMs / 1000);
    if (life.data.exp - Math.min(life.data.iat ?? nowSeconds, nowSeconds) > maxTtl) {
      return { kind: 'invalid', reason: `Token lifetime exceeds the maximum of ${maxTtl} seconds` };
    }
    return { kind: 'authenticated', actor: { id: parsed.data.sub, role: parsed.data.role, portfolios: parsed.data.portfolios } };
  } catch (error) {
    const reason = error instanceof jwt.TokenExpiredError ? 'Token expired' : 'Token signature or claims are invalid';
    return { kind: 'invalid', reason };
  }
}

/**
 * `authenticate` with a memory of verified tokens: the same token on every request of a session
 * is verified once (HMAC, claims) and then looked up, until its own expiry on `now`. Invalid
 * tokens are not remembered. Bounded: an LRU of `max` tokens, the least recently used going first.
 */
export function createAuthenticator(settings: JwtSettings, max = 10_000, now: () => number = Date.now) {
  // ttlResolution 0: every check asks `now` (a test's clock moves, real time does not).
  const verified = new LRUCache<string, Authentication>({ max, ttlResolution: 0, perf: { now } });
  return (header: string | undefined): Authentication => {
    if (!header) return { kind: 'anonymous' };
    const known = verified.get(header);
    if (known) return known;
    const nowMs = now();
    const auth = authenticate(header, settings, nowMs);
    if (auth.kind === 'authenticated') {
      const exp = (jwt.decode(header.replace(/^Bearer\s+/i, '')) as { exp?: number } | null)?.exp;
      // Valid while now < exp (jsonwebtoken's rule); lru-cache keeps an entry while
      // now - start <= ttl, hence the 1 ms. A ttl of 0 would mean forever: never set.
      const ttl = typeof exp === 'number' ? exp * 1000 - nowMs - 1 : 0;
      if (ttl > 0) verified.set(header, auth, { ttl, start: nowMs });
    }
    return auth;
  };
}

export function signToken(settings: JwtSettings, actor: Actor, expiresInSeconds: number): string {
  return jwt.sign({ role: actor.role, portfolios: actor.portfolios }, settings.secret, {
    algorithm: 'HS256',
    subject: actor.id,
    issuer: settings.issuer,
    audience: settings.audience,
    expiresIn: expiresInSeconds,
  });
}

/** Demo identities for local use: one per role; the viewer is entitled to the first fund only. */
export const DEMO_ACTORS: readonly Actor[] = [
  { id: 'demo.viewer', role: 'VIEWER', portfolios: ['MACRO_FUND_1'] },
  { id: 'demo.manager', role: 'MANAGER', portfolios: ['MACRO_FUND_1', 'MACRO_FUND_2'] },
  { id: 'demo.risk', role: 'RISK_OFFICER', portfolios: ['MACRO_FUND_1', 'MACRO_FUND_2'] },
  { id: 'demo.admin', role: 'ADMIN', portfolios: '*' },
];
