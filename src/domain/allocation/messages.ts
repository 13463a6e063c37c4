import type { VectorClock } from '../core/vectorClock';
import type { ReleaseReason } from '../sku';
import type { WmsReleaseReason } from './saga';

/** What the WMS answered about one reservation (AllocateStock, GetAllocation). */
export type WmsAnswer =
  | { status: 'allocated'; allocationId: string }
  | { status: 'rejected'; reason: string }
  | { status: 'cancelled' }
  | { status: 'not_found' };

/** Everything a saga reacts to: the SKU's events, the executor's replies, time, and operators. */
export type SagaMessage =
  /** `at` and `expiresAt` describe the hold; the saga's deadline depends on neither (it counts from its first attempt). */
  /** `location`: where the reservation was sourced (absent: `default`, the warehouse's default). */
  | { type: 'Reserved'; sku: string; reservationId: string; qty: number; version: number; at: number; expiresAt: number; location?: string | undefined }
  /** The reservation's units moved from one location to another (ReservationResourced; `completed`: sold ones; `version`: the event's). */
  | { type: 'Resourced'; from: string; to: string; completed: boolean; version?: number }
  | { type: 'AllocationConfirmed'; allocationId: string }
  | { type: 'Completed' }
  | { type: 'Released'; reason: ReleaseReason }
  /** `reference`: the allocation asked about (absent: the saga's current one); an answer about another is stale. */
  /** `sentAt`: when the AllocateStock answered left the executor (a backlog may hold it long after the saga decided it). */
  | { type: 'WmsAnswered'; answer: WmsAnswer; reference?: string; sentAt?: number }
  /** `allocationId`: the allocation the Confirm named (absent: the saga's); one about another is stale. */
  | { type: 'ConfirmAnswered'; outcome: 'confirmed' | 'conflict' | 'not_found'; allocationId?: string }
  | { type: 'ConfirmAnswered'; outcome: 'released'; reason: ReleaseReason; allocationId?: string }
  /** `completed`: the object keeps a completed purchase the WMS did not refuse (no `wms_timeout` release of a sale). */
  | { type: 'ReleaseAnswered'; outcome: 'released' | 'allocated' | 'completed' | 'not_found' }
  /** The object moved the reservation to `to`, another location with its units, instead of releasing it (failover.ts). */
  | { type: 'ReleaseAnswered'; outcome: 'resourced'; to: string }
  /**
   * `reference`: which allocation was cancelled (absent: the saga's own, at its location); `sentAt`:
   * when the executor sent the cancel (absent: now), which says what it can have found landed (cancels.ts).
   */
  | { type: 'CancelAnswered'; reference?: string; sentAt?: number }
  | { type: 'CallFailed'; command: SagaCommand['type']; error: string; reference?: string; sentAt?: number }
  | { type: 'Tick' }
  | { type: 'Retry' }
  /** Work on the saga's partition (re)starts: a replica took it over, its bridge restarted, or a rebalance that kept it ended. */
  | { type: 'Resumed' };

/**
 * What the executor does for a saga: SOAP calls to the WMS, signed calls to the SKU object. The
 * WMS calls name the allocation by its `reference` (the reservation id at its first location; see
 * reference.ts) and its `location` (absent: the warehouse's default), which also picks the warehouse
 * system serving it.
 */
export type SagaCommand =
  | { type: 'Allocate'; reservationId: string; reference: string; sku: string; qty: number; location?: string }
  | { type: 'GetAllocation'; reservationId: string; reference: string; location?: string }
  /**
   * `location`, `resourcings` (the re-sourcings the saga had read): the SKU object refuses a verdict
   * about a location the reservation left, or decided before its latest re-sourcing (a Confirm that crossed one).
   */
  | { type: 'Confirm'; sku: string; reservationId: string; allocationId: string; reference: string; causedBy: VectorClock; location?: string; resourcings?: number }
  /** `tried`: the locations allocated at so far; the object re-sources to another with the units rather than release. */
  | { type: 'Release'; sku: string; reservationId: string; reason: WmsReleaseReason; causedBy: VectorClock; location?: string; resourcings?: number; tried?: string[] }
  | { type: 'Cancel'; reservationId: string; reference: string; location?: string };
