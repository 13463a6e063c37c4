import type { AllocationSaga } from '../../src/domain/allocation';
import { skuStream } from '../../src/domain/core/vectorClock';
import type { SkuEventOf } from '../../src/domain/sku';

/**
 * A saga for a release that arrives after its saga was retired. Retired sagas are finished, and
 * the only event that can still follow one is an admin release of a completed purchase (a
 * refund): the WMS still holds the units, as it would for a saga never retired, and must cancel
 * them. So the saga comes back in `cancelling`, due now, with what the event says; the cancel is
 * idempotent at the WMS (by reservation id), so reopening one that held nothing is harmless.
 *
 * Only events past the consumer's cursor get here, so a redelivered old release reopens nothing.
 */
export function reopenForRelease(event: SkuEventOf<'StockReleased'>, now: number): AllocationSaga {
  const at = Date.parse(event.at);
  // The release names the StockReserved it follows from (`causedBy`); it is informational here.
  const reservedVersion = Math.max(1, Math.min(event.version - 1, event.causedBy[skuStream(event.sku)] ?? 1));
  return {
    reservationId: event.data.reservationId,
    sku: event.sku,
    qty: event.data.qty,
    reservedVersion,
    startedAt: at,
    firstAttemptAt: null,
    deadline: at,
    phase: 'cancelling',
    stuckIn: null,
    allocationId: null,
    releaseWanted: null,
    releasedAs: event.data.reason,
    wmsMayHold: true,
    completed: true,
    attempts: 0,
    nextAttemptAt: now,
    lastError: null,
    updatedAt: now,
    notes: [{ at: now, note: `released (${event.data.reason}) after its saga was retired: cancelling at the WMS` }],
  };
}
