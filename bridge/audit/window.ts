/*
 * Time in the audit: the archive's times are UTC (occurred_at, and the `date=` of a file's key is
 * the UTC day of its events), so every bound given is turned into a UTC instant, and a window
 * into the days whose files can hold its events.
 */

/** A window on occurred_at: from `from` (inclusive) up to `to` (exclusive); null: open at that end. */
export type Window = { from: Date | null; to: Date | null };

/** The archive days to read, first and last inclusive (`YYYY-MM-DD`); null: unbounded at that end. */
export type Days = { first: string | null; last: string | null };

const DAY_MS = 86_400_000;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})?$/;

/** `YYYY-MM-DD`, a day that exists; null otherwise. */
export function parseDate(value: string): string | null {
  if (!DATE.test(value)) return null;
  const day = new Date(`${value}T00:00:00.000Z`);
  return !Number.isNaN(day.getTime()) && dayOf(day) === value ? value : null;
}

/**
 * A bound of a window, as a person types it: an ISO date (`2025-03-01`: the start of that UTC
 * day for `from`, the start of the next for `to`, so the day is included) or an ISO datetime
 * (without an offset: UTC). Null when it is neither.
 */
export function parseBound(value: string, end: 'from' | 'to'): Date | null {
  const date = parseDate(value);
  if (date !== null) return new Date(Date.parse(`${date}T00:00:00.000Z`) + (end === 'to' ? DAY_MS : 0));
  if (!DATETIME.test(value)) return null;
  const hasOffset = /(?:Z|[+-]\d{2}:\d{2})$/.test(value);
  const at = new Date(hasOffset ? value : `${value}Z`);
  return Number.isNaN(at.getTime()) ? null : at;
}

/** The whole UTC day `date` (`YYYY-MM-DD`). */
export const dayWindow = (date: string): Window => {
  const from = new Date(`${date}T00:00:00.000Z`);
  return { from, to: new Date(from.getTime() + DAY_MS) };
};

export const dayOf = (at: Date): string => at.toISOString().slice(0, 10);

/**
 * The days whose files hold the window's events, the first `lookbackDays` earlier: a row of a
 * reservation finds its StockReserved (its customer, its quantity) in an earlier file.
 */
export function daysOf(window: Window, lookbackDays = 0): Days {
  return {
    first: window.from === null ? null : dayOf(new Date(window.from.getTime() - lookbackDays * DAY_MS)),
    // `to` is exclusive: the last instant inside is a millisecond before it.
    last: window.to === null ? null : dayOf(new Date(window.to.getTime() - 1)),
  };
}

/** A UTC instant as DuckDB reads a TIMESTAMP (no zone: the archive's are UTC). */
export const sqlTimestamp = (at: Date): string => at.toISOString().replace('T', ' ').replace('Z', '');
