import type { Decimal } from '../domain/decimal';
import { EARLIEST_DATE, isAcceptedDate, LATEST_DATE } from '../domain/dates';
import { InvalidInput } from '../domain/errors';
import type { IsoDate } from '../domain/types';

export function positive(field: string, value: Decimal): Decimal {
  if (!value.isFinite() || value.lte(0)) throw new InvalidInput(field, `${field} must be greater than 0`);
  return value;
}

export function text(field: string, value: string | null | undefined, minLength: number): string {
  const trimmed = (value ?? '').trim();
  if (trimmed.length < minLength) {
    throw new InvalidInput(field, `${field} must have at least ${minLength} characters`);
  }
  return trimmed;
}

export function optionalText(value: string | null | undefined): string | null {
  const trimmed = (value ?? '').trim();
  return trimmed.length > 0 ? trimmed : null;
}

export function date(field: string, value: string): IsoDate {
  if (!isAcceptedDate(value)) {
    throw new InvalidInput(field, `${field} must be an ISO date (YYYY-MM-DD) between ${EARLIEST_DATE} and ${LATEST_DATE}`);
  }
  return value;
}

/** Longest reference (a portfolio id or code) looked up; the GraphQL bounds allow as much. */
export const REF_MAX_LENGTH = 128;

/**
 * A reference a caller sent (a portfolio id or code), checked before it reaches a query: Postgres
 * text cannot hold a NUL, and a statement that fails on one is an internal error, logged.
 */
export function ref(field: string, value: string): string {
  if (value.length > REF_MAX_LENGTH) throw new InvalidInput(field, `${field} must have at most ${REF_MAX_LENGTH} characters`);
  if (value.includes('\u0000')) throw new InvalidInput(field, `${field} must not contain NUL characters`);
  return value;
}

/** An optional integer of 0 or more (business days to maturity). */
export function nonNegativeInteger(field: string, value: number | null | undefined): number | null {
  if (value == null) return null;
  if (!Number.isSafeInteger(value) || value < 0) throw new InvalidInput(field, `${field} must be 0 or more`);
  return value;
}

export function notAfter(field: string, value: IsoDate, limit: IsoDate, what = 'today'): IsoDate {
  if (value > limit) throw new InvalidInput(field, `${field} ${value} is after ${what} (${limit})`);
  return value;
}

/** 0..1 inclusive. */
export function unitInterval(field: string, value: number): number {
  if (!Number.isFinite(value) || value < 0 || value > 1) throw new InvalidInput(field, `${field} must be between 0 and 1`);
  return value;
}

/**
 * Strategy ids and optional weights: weights, when given, name only listed strategies and are
 * positive (they are normalized where used, so they need not sum to 1).
 */
export function strategies(
  ids: readonly string[] | null | undefined,
  weights: Readonly<Record<string, number>> | null | undefined,
): { ids: string[]; weights: Record<string, number> | null } {
  const list = [...new Set((ids ?? []).map((s) => s.trim()).filter((s) => s.length > 0))];
  if (!weights) return { ids: list, weights: null };
  for (const [id, w] of Object.entries(weights)) {
    if (!list.includes(id)) throw new InvalidInput('strategyWeights', `weight given for unlisted strategy ${id}`);
    if (!Number.isFinite(w) || w <= 0) throw new InvalidInput('strategyWeights', `weight of ${id} must be > 0`);
  }
  return { ids: list, weights: { ...weights } };
}
