import { D, type Decimal } from '../domain/decimal';
import type { IsoDate } from '../domain/dates';

/**
 * Column value conversions shared by the row mappers. pg returns numeric and bigint as strings and
 * (with our type parser) dates as text; PGlite returns dates as UTC-midnight Date objects and
 * bigint as numbers. The mappers accept both so the repositories are driver-agnostic.
 */
export function isoDate(value: unknown): IsoDate {
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value === 'string') return value.slice(0, 10);
  throw new TypeError(`Expected a date column, got ${typeof value}`);
}

export function isoDateOrNull(value: unknown): IsoDate | null {
  return value === null || value === undefined ? null : isoDate(value);
}

export function decimal(value: unknown): Decimal {
  if (typeof value === 'string' || typeof value === 'number') return new D(value);
  throw new TypeError(`Expected a numeric column, got ${typeof value}`);
}

export function decimalOrNull(value: unknown): Decimal | null {
  return value === null || value === undefined ? null : decimal(value);
}

export function timestamp(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'string') return new Date(value);
  throw new TypeError(`Expected a timestamp column, got ${typeof value}`);
}

export function timestampOrNull(value: unknown): Date | null {
  return value === null || value === undefined ? null : timestamp(value);
}

export function count(value: unknown): number {
  return Number(value ?? 0);
}

/** Decimal → the exact string written to a numeric column. */
export function numeric(value: Decimal): string {
  return value.toFixed();
}

export function numericOrNull(value: Decimal | null | undefined): string | null {
  return value === null || value === undefined ? null : value.toFixed();
}

export type Row = Record<string, unknown>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Ids come from clients as strings. One that is not a uuid cannot match a uuid key, and sending it
 * to Postgres would fail the cast: repositories answer "not found" for it without a query.
 */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export function uuidsOnly(ids: readonly string[]): string[] {
  return ids.filter(isUuid);
}
