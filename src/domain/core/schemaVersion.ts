import type { z } from 'zod';
import type { Result } from './result';

/**
 * Versioned events (ADR 0012). Each event type has a schema version, bumped when a reader of
 * today's shape could not read the old one; a record carries it as `schemaVersion` beside `type`.
 * Records written before versions were stamped have none: their version is told by their shape.
 * Old records are upcast on read, step by step, and never rewritten (invariant append-only-log).
 */

type Data = Record<string, unknown>;

/**
 * One step of one event type, from version n to n + 1: the old `data` in, the next one out, or
 * null when it needs a fact the record does not hold (the caller's `facts` could not tell it).
 */
export type UpcastStep<Facts> = (data: Data, facts: Facts) => Data | null;

/** An event type's history: its steps (`steps[i]` takes version i + 1 to i + 2) and how an unstamped record's version is told. */
export type TypeHistory<Facts> = {
  readonly steps: readonly UpcastStep<Facts>[];
  /** Absent: an unstamped record is at the current version (the type never changed before stamping). */
  readonly unstamped?: (data: Data) => number;
};

export type EventHistories<Type extends string, Facts> = Readonly<Record<Type, TypeHistory<Facts>>>;

export type UpcastError =
  | { code: 'invalid'; message: string }
  /** Written by newer code than this: readable once this reader is upgraded (deploy readers first). */
  | { code: 'newer_version'; message: string; type: string; schemaVersion: number }
  /** An old record whose upcast needs a fact it does not hold; the stream's owner has it. */
  | { code: 'missing_facts'; message: string; type: string; schemaVersion: number };

/** A record upcast to today's `data`, not yet checked against today's schema; `from`: the version it was written at. */
export type RawUpcast = Result<{ record: Data & { type: string; data: Data }; from: number }, UpcastError>;

export const currentVersion = <T extends string>(histories: EventHistories<T, never>, type: T): number => histories[type].steps.length + 1;

/** `event` as written by today's code: stamped with its type's current version. */
export function stamp<T extends string, E extends { type: T }>(histories: EventHistories<T, never>, event: E): E & { schemaVersion: number } {
  const { type, ...rest } = event;
  return { type, schemaVersion: currentVersion(histories, type), ...rest } as E & { schemaVersion: number };
}

const isData = (value: unknown): value is Data => typeof value === 'object' && value !== null && !Array.isArray(value);
const invalid = (message: string): RawUpcast => ({ ok: false, error: { code: 'invalid', message } });

/** Brings a raw record (`type`, optional `schemaVersion`, `data`, and its envelope) to today's `data`. Pure. */
export function upcastRaw<T extends string, Facts>(histories: EventHistories<T, Facts>, raw: unknown, facts: Facts): RawUpcast {
  if (!isData(raw) || typeof raw.type !== 'string' || !isData(raw.data)) return invalid('not an event: type and data expected');
  const { type, schemaVersion, data, ...envelope } = raw;
  if (!Object.hasOwn(histories, type)) return invalid(`unknown event type ${type}`);
  const history = histories[type as T];
  const current = history.steps.length + 1;
  const from = schemaVersion === undefined ? (history.unstamped?.(data) ?? current) : schemaVersion;
  if (typeof from !== 'number' || !Number.isInteger(from) || from < 1) return invalid(`schemaVersion of ${type} must be a positive integer`);
  if (from > current) {
    return { ok: false, error: { code: 'newer_version', type, schemaVersion: from, message: `${type} v${from} is newer than this reader's v${current}` } };
  }
  let upcast: Data = data;
  for (let version = from; version < current; version++) {
    const next = history.steps[version - 1]!(upcast, facts);
    if (next === null) {
      return { ok: false, error: { code: 'missing_facts', type, schemaVersion: from, message: `${type} v${from} needs facts its record does not hold` } };
    }
    upcast = next;
  }
  return { ok: true, value: { record: { ...envelope, type, data: upcast }, from } };
}

/** A raw record of any version as today's typed event, checked by today's schema; `from`: the version it was written at. */
export function upcastTo<T extends string, Facts, E>(
  histories: EventHistories<T, Facts>,
  schema: z.ZodType<E>,
  raw: unknown,
  facts: Facts,
): Result<{ event: E; from: number }, UpcastError> {
  const upcast = upcastRaw(histories, raw, facts);
  if (!upcast.ok) return upcast;
  const parsed = schema.safeParse(upcast.value.record);
  if (!parsed.success) return { ok: false, error: { code: 'invalid', message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') } };
  return { ok: true, value: { event: parsed.data, from: upcast.value.from } };
}
