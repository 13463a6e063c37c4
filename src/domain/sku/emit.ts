import { err, ok, type Result } from '../core/result';
import { mergeClocks, skuStream, type VectorClock } from '../core/vectorClock';
import type { SkuError } from './errors';
import type { SkuEvent } from './events';
import type { Reservation, SkuState } from './state';

/** What deciding one command answers: the events to append (in order), or why it is refused. */
export type Decision = Result<readonly SkuEvent[], SkuError>;
/** An event before it is stamped with its stream, version, time and cause. */
export type EventBody = { [E in SkuEvent as E['type']]: { type: E['type']; data: E['data'] } }[SkuEvent['type']];

export const NOTHING: Decision = ok([]);

/** The event stamped as the next of the stream (version + 1, `now`). */
export function stamp(state: SkuState, now: number, causedBy: VectorClock | undefined, sku: string, body: EventBody): SkuEvent {
  return { ...body, sku, version: state.version + 1, at: new Date(now).toISOString(), causedBy: causedBy ?? {} };
}

export function emit(state: SkuState, now: number, causedBy: VectorClock | undefined, sku: string, body: EventBody): Decision {
  return ok([stamp(state, now, causedBy, sku, body)]);
}

/** The cause of an event about a reservation: the command's, and the StockReserved it follows from. */
export const causeAbout = (state: SkuState, r: Reservation, causedBy: VectorClock | undefined): VectorClock =>
  mergeClocks(causedBy ?? {}, { [skuStream(state.sku ?? '')]: r.reservedAtVersion });

/** An event about a reservation names the StockReserved it follows from. */
export function emitAbout(state: SkuState, r: Reservation, now: number, causedBy: VectorClock | undefined, body: EventBody): Decision {
  return emit(state, now, causeAbout(state, r, causedBy), state.sku ?? '', body);
}

/** The reservation's location on the events that move its units (none for the implicit `default`). */
export const placeOf = (r: Reservation): { location?: string } => (r.location === null ? {} : { location: r.location });
/** The reference its units are allocated under, for the events that move or release them (a reopened saga cancels it). */
export const heldUnder = (r: Reservation): { reference?: string } => (r.allocation === 'allocated' && r.allocationReference !== null ? { reference: r.allocationReference } : {});
/** The fields given, so that an event without them is as it was before they existed. */
export const defined = <T extends object>(fields: T): Partial<T> =>
  Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<T>;
export const isQuantity = (n: number, min: number): boolean => Number.isSafeInteger(n) && n >= min;
export const invalid = (reason: string): Decision => err({ code: 'invalid_command', reason });
