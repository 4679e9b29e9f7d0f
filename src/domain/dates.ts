/** ISO business date `YYYY-MM-DD`. Dates are calendar values, never timestamps. */
export type IsoDate = string;

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isIsoDate(value: string): boolean {
  const m = ISO_DATE.exec(value);
  if (!m) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

/**
 * The dates the system accepts as input. Postgres refuses year 0000 and the far past and future
 * mean nothing to a fund; a range this wide also bounds every period computed from input dates.
 */
export const EARLIEST_DATE: IsoDate = '1900-01-01';
export const LATEST_DATE: IsoDate = '2100-12-31';

/** An ISO calendar date within [EARLIEST_DATE, LATEST_DATE] (ISO strings compare as dates). */
export function isAcceptedDate(value: string): boolean {
  return isIsoDate(value) && value >= EARLIEST_DATE && value <= LATEST_DATE;
}

/** Date arithmetic is done in UTC so that no local time zone shifts a business date. */
export function toUtc(date: IsoDate): Date {
  return new Date(`${date}T00:00:00Z`);
}

export function fromUtc(d: Date): IsoDate {
  return d.toISOString().slice(0, 10);
}

export function addDays(date: IsoDate, days: number): IsoDate {
  const d = toUtc(date);
  d.setUTCDate(d.getUTCDate() + days);
  return fromUtc(d);
}

export function daysBetween(from: IsoDate, to: IsoDate): number {
  return Math.round((toUtc(to).getTime() - toUtc(from).getTime()) / 86_400_000);
}

export function isWeekend(date: IsoDate): boolean {
  const day = toUtc(date).getUTCDay();
  return day === 0 || day === 6;
}

/** Business days are weekdays; the fund's holiday calendar is not modelled. */
export function previousBusinessDay(date: IsoDate): IsoDate {
  let d = addDays(date, -1);
  while (isWeekend(d)) d = addDays(d, -1);
  return d;
}

/**
 * Business days (weekdays) after `from` up to and including `to`: how many a contract's count of
 * business days to maturity has run down between the two dates. 0 when `to` is not after `from`.
 */
export function businessDaysBetween(from: IsoDate, to: IsoDate): number {
  const days = daysBetween(from, to);
  if (days <= 0) return 0;
  const fullWeeks = Math.floor(days / 7);
  let count = fullWeeks * 5;
  for (let d = addDays(from, fullWeeks * 7 + 1); d <= to; d = addDays(d, 1)) if (!isWeekend(d)) count++;
  return count;
}

export function startOfWeek(date: IsoDate): IsoDate {
  // ISO weeks start on Monday.
  const dow = (toUtc(date).getUTCDay() + 6) % 7;
  return addDays(date, -dow);
}

export function startOfMonth(date: IsoDate): IsoDate {
  return `${date.slice(0, 7)}-01`;
}

export function startOfQuarter(date: IsoDate): IsoDate {
  const month = Number(date.slice(5, 7));
  const q = Math.floor((month - 1) / 3) * 3 + 1;
  return `${date.slice(0, 4)}-${String(q).padStart(2, '0')}-01`;
}

export function startOfYear(date: IsoDate): IsoDate {
  return `${date.slice(0, 4)}-01-01`;
}

/** A clock is injected everywhere "today" matters; nothing reads the wall clock on its own. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/**
 * The clock as epoch milliseconds, for what reads time on every request (cache TTLs, remembered
 * tokens and portfolios): the system clock's is Date.now itself, with no Date allocated per call.
 */
export function epochMsOf(clock: Clock): () => number {
  return clock === systemClock ? Date.now : () => clock.now().getTime();
}

const FUND_UTC_OFFSET_MS = -3 * 3_600_000;
const DAY_MS = 86_400_000;

/**
 * The last date `today` computed and the epoch-ms span it holds for: every cached read asks for
 * today, and within the span the answer is a comparison, not a Date and its ISO text. A pure
 * function of the instant, so one memo serves every clock (a test's moved clock leaves the span).
 */
let todayMemo: { readonly from: number; readonly until: number; readonly date: IsoDate } = { from: 0, until: 0, date: '' };

/** Today's business date in the fund's time zone (São Paulo, UTC−3, no DST since 2019). */
export function today(clock: Clock): IsoDate {
  const ms = epochMsOf(clock)();
  const memo = todayMemo;
  if (ms >= memo.from && ms < memo.until) return memo.date;
  const local = ms + FUND_UTC_OFFSET_MS;
  const from = local - (((local % DAY_MS) + DAY_MS) % DAY_MS) - FUND_UTC_OFFSET_MS;
  const date = fromUtc(new Date(local));
  todayMemo = { from, until: from + DAY_MS, date };
  return date;
}

/** The latest business day on or before `date` (the date itself on a weekday). */
export function businessDayOnOrBefore(date: IsoDate): IsoDate {
  let d = date;
  while (isWeekend(d)) d = addDays(d, -1);
  return d;
}
