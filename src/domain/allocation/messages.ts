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
  | { type: 'Reserved'; sku: string; reservationId: string; qty: number; version: number; at: number; expiresAt: number }
  | { type: 'AllocationConfirmed'; allocationId: string }
  | { type: 'Completed' }
  | { type: 'Released'; reason: ReleaseReason }
  | { type: 'WmsAnswered'; answer: WmsAnswer }
  | { type: 'ConfirmAnswered'; outcome: 'confirmed' | 'conflict' | 'not_found' }
  | { type: 'ConfirmAnswered'; outcome: 'released'; reason: ReleaseReason }
  /** `completed`: the object keeps a completed purchase the WMS did not refuse (no `wms_timeout` release of a sale). */
  | { type: 'ReleaseAnswered'; outcome: 'released' | 'allocated' | 'completed' | 'not_found' }
  | { type: 'CancelAnswered' }
  | { type: 'CallFailed'; command: SagaCommand['type']; error: string }
  | { type: 'Tick' }
  | { type: 'Retry' }
  /** Work on the saga's partition (re)starts: a replica took it over, its bridge restarted, or a rebalance that kept it ended. */
  | { type: 'Resumed' };

/** What the executor does for a saga: SOAP calls to the WMS, signed calls to the SKU object. */
export type SagaCommand =
  | { type: 'Allocate'; reservationId: string; sku: string; qty: number }
  | { type: 'GetAllocation'; reservationId: string }
  | { type: 'Confirm'; sku: string; reservationId: string; allocationId: string; causedBy: VectorClock }
  | { type: 'Release'; sku: string; reservationId: string; reason: WmsReleaseReason; causedBy: VectorClock }
  | { type: 'Cancel'; reservationId: string };
