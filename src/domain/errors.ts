/**
 * Errors named after the rule they enforce. Each carries a literal `code` that the GraphQL layer
 * exposes as `extensions.code`; anything that is not a DomainError is masked as internal.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(message: string, details: Readonly<Record<string, unknown>> = {}) {
    super(message);
    this.name = new.target.name;
    this.details = details;
  }
}

/** Input that breaks a validation rule; `field` names the argument at fault. */
export class InvalidInput extends DomainError {
  readonly code = 'BAD_USER_INPUT';
  constructor(readonly field: string, message: string) {
    super(message, { field });
  }
}

export class NotFound extends DomainError {
  readonly code = 'NOT_FOUND';
  constructor(readonly entity: string, readonly id: string) {
    super(`${entity} ${id} not found`, { entity, id });
  }
}

export class ProposalNotPending extends DomainError {
  readonly code = 'PROPOSAL_NOT_PENDING';
  constructor(readonly proposalId: string, readonly status: string) {
    super(`Proposal ${proposalId} is ${status}, not PENDING`, { proposalId, status });
  }
}

export class PositionAlreadyClosed extends DomainError {
  readonly code = 'POSITION_ALREADY_CLOSED';
  constructor(readonly positionId: string) {
    super(`Position ${positionId} is already closed`, { positionId });
  }
}

/**
 * Proposals asked for a date whose business day is over: a proposal is valid on its business day
 * only, so they would read EXPIRED the moment they were created. Backfilling past signals is not
 * a use of generateProposals; today's business day (or a date within it, such as a weekend after
 * Friday) is.
 */
export class ProposalDateExpired extends DomainError {
  readonly code = 'PROPOSAL_DATE_EXPIRED';
  constructor(readonly asOf: string, readonly businessDay: string) {
    super(
      `Proposals of ${asOf} would be EXPIRED at once: a proposal is valid on its business day only, and the current one is ${businessDay}`,
      { field: 'asOf', asOf, businessDay },
    );
  }
}

/** A pre-trade check failed; only an ADMIN may override it. */
export class PreTradeLimitBreached extends DomainError {
  readonly code = 'PRE_TRADE_LIMIT_BREACHED';
  constructor(readonly check: string, readonly value: number, readonly limit: number) {
    super(`Pre-trade check ${check} failed: ${value} against limit ${limit}`, { check, value, limit });
  }
}

/** The same idempotency key was used for a different operation or different arguments. */
export class IdempotencyKeyReused extends DomainError {
  readonly code = 'IDEMPOTENCY_KEY_REUSED';
  constructor(readonly key: string) {
    super(`Idempotency key ${key} was already used for a different request`, { key });
  }
}

export class Unauthenticated extends DomainError {
  readonly code = 'UNAUTHENTICATED';
}

export class Forbidden extends DomainError {
  readonly code = 'FORBIDDEN';
}
