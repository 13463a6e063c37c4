import type { SagaCommand } from './messages';
import { wmsLocation } from './reference';
import { leaseMs, referenceOf, type AllocationSaga, type SagaPolicy } from './saga';
import { backoff, note } from './steps';

/*
 * Cancels at the WMS, of the saga's own reference and of those it left behind at other locations.
 * A warehouse without tombstones (SAP, ADR 0017) applies an AllocateStock that was still travelling
 * when its cancel ran, after it: so a cancel sent within `lateAllocateMs` of the reference's last
 * AllocateStock is sent once more when nothing can land any more. What counts is when the cancel
 * was sent (a late answer says nothing about when it ran). The times are the saga's own state, so
 * the second cancel survives a crash or a takeover (invariant state-has-an-owner).
 */

/** When a cancel sent at `sentAt` must be sent again, or null when it is final. */
export function cancelAgainAt(lastAllocateAt: number | null, sentAt: number, policy: SagaPolicy, now: number): number | null {
  if (lastAllocateAt === null) return null;
  const landsBy = lastAllocateAt + policy.lateAllocateMs;
  return sentAt < landsBy ? Math.max(landsBy, now) : null;
}

/** The saga's reference cancelled at the WMS: done, unless an AllocateStock of it may land after the cancel ran. */
export function cancelled(saga: AllocationSaga, sentAt: number, policy: SagaPolicy, now: number): AllocationSaga {
  const again = cancelAgainAt(saga.lastAllocateAt, sentAt, policy, now);
  if (again === null) return { ...saga, phase: 'done', attempts: 0, nextAttemptAt: null, wmsMayHold: false, finalCancelAt: sentAt };
  const why = `cancelled at the WMS ${sentAt - saga.lastAllocateAt!} ms after an AllocateStock that may land later: cancelling once more in ${again - now} ms`;
  return note({ ...saga, phase: 'cancelling', attempts: 0, nextAttemptAt: again, wmsMayHold: true }, why, now);
}

/** A cancel at a location the reservation left answered: that allocation is gone, unless one may land there after it. */
export function leftBehindCancelled(s: AllocationSaga, saga: AllocationSaga, reference: string, sentAt: number, policy: SagaPolicy, now: number): AllocationSaga {
  const left = s.leftBehind.find((l) => l.reference === reference);
  if (!left) return saga;
  const again = cancelAgainAt(left.lastAllocateAt, sentAt, policy, now);
  const leftBehind = again === null ? s.leftBehind.filter((l) => l !== left) : s.leftBehind.map((l) => (l === left ? { ...l, attempts: 0, nextAttemptAt: again } : l));
  return { ...saga, leftBehind };
}

/** A cancel at a location the reservation left failed: retried with backoff, never given up (units must not stay held there). */
export function leftBehindFailed(s: AllocationSaga, saga: AllocationSaga, reference: string, error: string, policy: SagaPolicy, now: number): AllocationSaga {
  if (!s.leftBehind.some((l) => l.reference === reference)) return s;
  const leftBehind = s.leftBehind.map((l) => (l.reference === reference ? { ...l, attempts: l.attempts + 1, nextAttemptAt: now + backoff(l.attempts + 1, policy) } : l));
  return { ...saga, leftBehind, lastError: `Cancel ${reference}: ${error}` };
}

/** The cancels at locations left behind that are due, leased so a tick does not issue them twice. */
export function dueLeftBehind(saga: AllocationSaga, policy: SagaPolicy, now: number): { saga: AllocationSaga; commands: SagaCommand[] } {
  const due = saga.leftBehind.filter((l) => l.nextAttemptAt !== null && l.nextAttemptAt <= now);
  if (due.length === 0) return { saga, commands: [] };
  const lease = now + leaseMs(policy);
  const leftBehind = saga.leftBehind.map((l) => (due.includes(l) ? { ...l, nextAttemptAt: lease } : l));
  const commands: SagaCommand[] = due.map((l) => {
    const location = wmsLocation(l.location);
    return { type: 'Cancel', reservationId: saga.reservationId, reference: l.reference, ...(location === undefined ? {} : { location }) };
  });
  return { saga: { ...saga, leftBehind }, commands };
}

/**
 * An AllocateStock of `reference` left the executor at `sentAt`, which may be well after the saga
 * decided it (a backlog queues commands): its late landing counts from then. A released saga
 * already ended by a cancel sent before that landing bound cancels once more at the bound.
 */
export function allocateSent(s: AllocationSaga, reference: string, sentAt: number, policy: SagaPolicy, now: number): AllocationSaga {
  if (reference !== referenceOf(s)) {
    const leftBehind = s.leftBehind.map((l) => (l.reference === reference && (l.lastAllocateAt ?? -1) < sentAt ? { ...l, lastAllocateAt: sentAt } : l));
    return leftBehind.some((l, i) => l !== s.leftBehind[i]) ? { ...s, leftBehind } : s;
  }
  if (s.lastAllocateAt !== null && sentAt <= s.lastAllocateAt) return s;
  const saga = { ...s, lastAllocateAt: sentAt };
  if (s.phase !== 'done' || s.releasedAs === null || s.finalCancelAt === null || cancelAgainAt(sentAt, s.finalCancelAt, policy, now) === null) return saga;
  const at = sentAt + policy.lateAllocateMs;
  const why = `an AllocateStock left ${sentAt - s.finalCancelAt} ms after the final cancel was sent (queued): cancelling once more in ${Math.max(0, at - now)} ms`;
  return note({ ...saga, phase: 'cancelling', wmsMayHold: true, attempts: 0, nextAttemptAt: Math.max(at, now), finalCancelAt: null }, why, now);
}
