import { Forbidden } from '../domain/errors';
import type { Role } from '../domain/types';
import { assertNever } from '../domain/types';

/** The authenticated caller, as the token describes it. */
export interface Actor {
  /** Stable user id (the token's subject); recorded on every write. */
  readonly id: string;
  readonly role: Role;
  /** Portfolio codes the user is entitled to, or '*' for all. */
  readonly portfolios: readonly string[] | '*';
}

/** What a write needs permission for; reads need only the portfolio entitlement. */
export type Permission = 'TRADE' | 'MARK' | 'BRIEFING' | 'OVERRIDE_PRE_TRADE';

/**
 * The role matrix: VIEWER reads; MANAGER trades (positions and proposals), marks and briefs;
 * RISK_OFFICER marks and briefs (risk actions); ADMIN everything, including pre-trade overrides.
 */
export function roleAllows(role: Role, permission: Permission): boolean {
  switch (role) {
    case 'ADMIN':
      return true;
    case 'MANAGER':
      return permission !== 'OVERRIDE_PRE_TRADE';
    case 'RISK_OFFICER':
      return permission === 'MARK' || permission === 'BRIEFING';
    case 'VIEWER':
      return false;
    default:
      return assertNever(role, 'role');
  }
}

export function isEntitled(actor: Actor, portfolioCode: string): boolean {
  return actor.portfolios === '*' || actor.portfolios.includes(portfolioCode);
}

/**
 * A portfolio the caller may not see is reported exactly like one that does not exist, so that
 * entitlements do not leak which portfolios exist.
 */
export function assertEntitled(actor: Actor, portfolio: { readonly code: string } | null, ref: string): void {
  if (!portfolio || !isEntitled(actor, portfolio.code)) throw new Forbidden(`No access to portfolio ${ref}`);
}

export function assertAllowed(actor: Actor, permission: Permission): void {
  if (!roleAllows(actor.role, permission)) {
    throw new Forbidden(`Role ${actor.role} may not perform ${permission}`, { permission, role: actor.role });
  }
}
