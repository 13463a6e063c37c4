import type { AllocationSaga, SagaPhase } from '../../../src/domain/allocation';
import type { Difference, DifferenceKind } from './compare';

/**
 * What reconcile needs of a reservation's saga (`GET /admin/sagas/{id}` on the bridge);
 * `leftBehind`: the references it is still cancelling at locations the reservation left.
 */
export type SagaSide = Pick<AllocationSaga, 'phase' | 'releasedAs'> & { leftBehind?: string[] };

/**
 * A difference as reported: settled, with its saga (null: none, or retired after it finished),
 * or `in_flight` with what the two sides show right now.
 */
export type Reported =
  | (Difference & { saga: SagaSide | null })
  | (Omit<Difference, 'kind'> & { kind: 'in_flight'; shows: DifferenceKind; saga: SagaSide });

/**
 * Phases with a command still to send (AllocateStock, a verdict to the edge, CancelAllocation).
 * `overdue` too: a completed purchase the WMS has not answered is retried, never repaired away.
 */
const AT_WORK: ReadonlySet<SagaPhase> = new Set(['allocating', 'overdue', 'confirming', 'releasing', 'cancelling']);

/**
 * Whether a difference is a saga's work in progress rather than a settled disagreement. During a
 * sale the two sides are legitimately apart while a saga works: a hold released by its TTL is
 * still allocated at the WMS until the saga sends CancelAllocation. So a difference is in flight
 * when its saga has a command left to send, or when the saga and the edge's log disagree on
 * whether the reservation is released (the release is on its way to the saga, or happened after
 * the edge's log was read). A saga at rest (`allocated`, `done`, `stuck`, which waits for an
 * operator) will not close the difference by itself: settled, like one with no saga at all.
 */
export function inFlight(difference: Difference, saga: SagaSide | null): saga is SagaSide {
  if (!saga) return false;
  if (AT_WORK.has(saga.phase) || saga.leftBehind?.includes(difference.reference)) return true;
  const releasedAtEdge = difference.edge?.status === 'released';
  return releasedAtEdge !== (saga.releasedAs !== null);
}

export function report(difference: Difference, saga: SagaSide | null): Reported {
  if (!inFlight(difference, saga)) return { ...difference, saga };
  const { kind, ...rest } = difference;
  return { ...rest, kind: 'in_flight', shows: kind, saga };
}
