import { locationKey, referenceAfterResourcing, REFERENCE_AT, type AllocationSaga, type LeftBehind } from '../../src/domain/allocation';
import { skuStream } from '../../src/domain/core/vectorClock';
import type { SkuEventOf } from '../../src/domain/sku';

/**
 * A saga for a release that arrives after its saga was retired. Retired sagas are finished, and
 * the only event that can still follow one is an admin release of a completed purchase (a
 * refund): the WMS still holds the units, as it would for a saga never retired, and must cancel
 * them. So the saga comes back in `cancelling`, due now, with what the event says; the cancel is
 * idempotent at the WMS (by reference), so reopening one that held nothing is harmless.
 *
 * The retired saga's WMS reference is gone with it, but the event names the one its allocation
 * was confirmed under (`reference`): that is cancelled. An event written before it names none: the
 * guesses then are the reservation id and, at a named location, `id@location` (ADR 0015); one that
 * had come back to a location it left (`id@location~n`) is beyond them, and reconcile reports it.
 *
 * Only events past the consumer's cursor get here, so a redelivered old release reopens nothing.
 */
export function reopenForRelease(event: SkuEventOf<'StockReleased'>, now: number): AllocationSaga {
  const { reservationId, location } = event.data;
  const at = Date.parse(event.at);
  return {
    ...reopened(event, now),
    qty: event.data.qty,
    startedAt: at,
    deadline: at,
    phase: 'cancelling',
    releasedAs: event.data.reason,
    wmsMayHold: true,
    completed: true,
    location: location ?? null,
    ...(event.data.reference === undefined
      ? { leftBehind: location === undefined ? [] : [leftAt(`${reservationId}${REFERENCE_AT}${location}`, location, now)] }
      : { reference: event.data.reference, leftBehind: [] }),
    notes: [{ at: now, note: `released (${event.data.reason}) after its saga was retired: cancelling at the WMS` }],
  };
}

/**
 * Sold units re-sourced after their saga was retired (a count below what a location had sold):
 * allocated again at `to` under the reference of a first re-sourcing there, and cancelled at
 * `from` under the reference the event names (the one the allocation was confirmed under), or, in
 * an event written before it, under both the units may be held by there (the reservation id, if
 * `from` is where it was first sourced, or `id@from` after an earlier re-sourcing). A reference at
 * `to` used before is answered `cancelled`, and the saga takes a fresh one.
 */
export function reopenForResourcing(event: SkuEventOf<'ReservationResourced'>, now: number): AllocationSaga {
  const { reservationId, from, to, qty, completed } = event.data;
  const visited = [locationKey(from)];
  return {
    ...reopened(event, now),
    qty,
    startedAt: Date.parse(event.at),
    deadline: null,
    phase: 'allocating',
    releasedAs: null,
    wmsMayHold: false,
    completed,
    location: to,
    reference: referenceAfterResourcing(reservationId, to, 1, visited),
    resourcings: 1,
    visited,
    leftBehind: event.data.reference === undefined ? [leftAt(reservationId, from, now), leftAt(`${reservationId}${REFERENCE_AT}${from}`, from, now)] : [leftAt(event.data.reference, from, now)],
    notes: [{ at: now, note: `re-sourced from ${from} to ${to} after its saga was retired: cancelling there, allocating at ${to}` }],
  };
}

// A retired saga finished longer than any AllocateStock travels ago: its cancels need no second one.
const leftAt = (reference: string, location: string, now: number): LeftBehind => ({ reference, location, attempts: 0, nextAttemptAt: now, lastAllocateAt: null });

/** What a reopened saga has whatever reopened it. */
function reopened(event: SkuEventOf<'StockReleased' | 'ReservationResourced'>, now: number) {
  // The event names the StockReserved it follows from (`causedBy`); it is informational here.
  const reservedVersion = Math.max(1, Math.min(event.version - 1, event.causedBy[skuStream(event.sku)] ?? 1));
  return {
    reservationId: event.data.reservationId,
    sku: event.sku,
    reservedVersion,
    firstAttemptAt: null,
    lastAllocateAt: null,
    finalCancelAt: null,
    stuckIn: null,
    allocationId: null,
    releaseWanted: null,
    attempts: 0,
    nextAttemptAt: now,
    lastError: null,
    allocateFailures: 0,
    updatedAt: now,
    reference: null,
    resourcings: 0,
    // The re-sourcings before its retirement are not in the event: its verdicts carry no count (ADR 0015).
    resourcedSeen: null,
    resourcedVersion: event.type === 'ReservationResourced' ? event.version : 0,
    visited: [],
    failoverAsked: false,
  };
}
