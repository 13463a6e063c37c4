import { z } from 'zod';
import { LocationIdSchema, ReleaseReasonSchema, StreamIdSchema } from '../sku';

/**
 * One reservation's allocation at the warehouse. The phase names what the saga is trying to do:
 * - `allocating`: AllocateStock (idempotent) until the WMS answers or the deadline (counted from the
 *   first AllocateStock) passes, then GetAllocation once, since a timeout says nothing about
 *   whether the WMS allocated;
 * - `overdue`: a completed purchase past that deadline: never compensated for the WMS's silence
 *   (invariant no-sale-undone-by-our-outage), AllocateStock goes on with capped backoff until the WMS answers or an operator
 *   decides (`sagas retry`, or an admin release, which refunds it);
 * - `confirming`: the WMS holds the units; tell the SKU object (`AllocationConfirmed`);
 * - `releasing`: the WMS refused or never answered; compensate on the SKU object (`StockReleased`);
 * - `cancelling`: the reservation is released but the WMS may hold (or later take) units: cancel there;
 * - `allocated`: both sides agree; waits for a release (buyer cancel, expiry, admin) to cancel;
 * - `done`: nothing left to do; `stuck`: a reply no rule covers, left for an operator (`sagas retry`).
 */
export const SAGA_PHASES = ['allocating', 'overdue', 'confirming', 'releasing', 'cancelling', 'allocated', 'done', 'stuck'] as const;
export const SagaPhaseSchema = z.enum(SAGA_PHASES);
export type SagaPhase = z.infer<typeof SagaPhaseSchema>;

export const WmsReleaseReasonSchema = z.enum(['wms_timeout', 'wms_rejected']);
export type WmsReleaseReason = z.infer<typeof WmsReleaseReasonSchema>;

const epochMs = z.int().min(0);

export const SagaNoteSchema = z.object({ at: epochMs, note: z.string() });
export type SagaNote = z.infer<typeof SagaNoteSchema>;

/**
 * An allocation at a location the reservation left (re-sourced): cancelled there, retried on its
 * own clock while the allocation at the new location goes on (ADR 0015).
 */
export const LeftBehindSchema = z.object({
  reference: z.string().min(1),
  location: LocationIdSchema.nullable(),
  attempts: z.int().min(0),
  /** When its cancel is due; a lease while one is in flight. */
  nextAttemptAt: epochMs.nullable(),
  /** The saga's last AllocateStock of this reference: its cancel is confirmed only once that cannot land any more (`lateAllocateMs`). */
  lastAllocateAt: epochMs.nullable().default(null),
});
export type LeftBehind = z.infer<typeof LeftBehindSchema>;

export const AllocationSagaSchema = z.object({
  reservationId: z.string().min(1),
  sku: StreamIdSchema,
  qty: z.int().min(1),
  /** Version of the StockReserved event: the cause every command of the saga names. */
  reservedVersion: z.int().min(1),
  startedAt: epochMs,
  /**
   * When the saga first sent AllocateStock; null before (and in records of versions that did not
   * track it, which are asked to allocate again: it is idempotent). The deadline counts from it.
   */
  firstAttemptAt: epochMs.nullable().default(null),
  /** After it, an unanswered allocation of a held reservation is compensated; a completed one is `overdue`. */
  deadline: epochMs.nullable(),
  phase: SagaPhaseSchema,
  /** The phase a stuck saga was in, where `retry` resumes it. */
  stuckIn: SagaPhaseSchema.nullable(),
  allocationId: z.string().nullable(),
  /** The release the saga asks the SKU object for while `releasing`. */
  releaseWanted: WmsReleaseReasonSchema.nullable(),
  /** Set once the SKU object released the reservation, for whatever reason. */
  releasedAs: ReleaseReasonSchema.nullable(),
  /** The WMS holds, or may still take, units for it: a release must be followed by a cancel there. */
  wmsMayHold: z.boolean(),
  completed: z.boolean(),
  attempts: z.int().min(0),
  /** When the phase's command is due; also a lease while a command is in flight. Null: waiting for events. */
  nextAttemptAt: epochMs.nullable(),
  lastError: z.string().nullable(),
  /**
   * AllocateStock calls that failed (no answer, a fault), over the saga's life: a wms_timeout
   * release is justified only after at least one, and `lastError` may have moved on since.
   */
  allocateFailures: z.int().min(0).default(0),
  updatedAt: epochMs,
  /**
   * Where the units are to be allocated: the reservation's location (StockReserved, `default` if it
   * names none, then each ReservationResourced's `to`). `default` is the warehouse's default site.
   * Null: a saga stored before this field (upcast by default, as are the four after it), which
   * allocates at the warehouse's default as it always did and names no location to the SKU object.
   */
  location: LocationIdSchema.nullable().default(null),
  /** The WMS reference of the allocation at `location` (see reference.ts); null: the reservation id. */
  reference: z.string().min(1).nullable().default(null),
  /**
   * Numbers a reference at a location used before: the re-sourcings, and each fresh reference
   * taken for a cancelled one (so it may be above the re-sourcings read).
   */
  resourcings: z.int().min(0).default(0),
  /**
   * How many ReservationResourced the saga applied, as the SKU object counts them on the row: its
   * verdicts carry it, and one decided before the latest re-sourcing is refused (ADR 0015). Null: not
   * known (a saga stored before it, or reopened after its retirement), its verdicts carry none.
   */
  resourcedSeen: z.int().min(0).nullable().default(null),
  /** Version of the last ReservationResourced applied: one redelivered after a later one changes nothing. */
  resourcedVersion: z.int().min(0).default(0),
  /** Locations (keys) where the saga used a reference already: a return there takes a fresh one. */
  visited: z.array(z.string()).default([]),
  /** Allocations at locations the reservation left, still to cancel there. */
  leftBehind: z.array(LeftBehindSchema).default([]),
  /**
   * When the saga last sent AllocateStock for `reference`; null: not since it took the reference (or
   * stored before this field). A cancel answered before `lastAllocateAt + lateAllocateMs` is sent once
   * more then: an unanswered create may still land at a warehouse that keeps no tombstone (ADR 0017).
   */
  lastAllocateAt: epochMs.nullable().default(null),
  /** When the cancel that ended a released saga was sent: an AllocateStock found to have left later than thought is checked against it. */
  finalCancelAt: epochMs.nullable().default(null),
  /** A sale past its deadline asked once to move to another warehouse's location (failover.ts); again only after it moved. */
  failoverAsked: z.boolean().default(false),
  /** The saga's notable turns (late success cancelled, stuck replies), newest last, bounded. */
  notes: z.array(SagaNoteSchema),
});
export type AllocationSaga = z.infer<typeof AllocationSagaSchema>;

/** How patient the saga is with the WMS and the edge. */
export type SagaPolicy = {
  /** Per-call timeout of a WMS or edge call; an issued command is leased for twice this. */
  callTimeoutMs: number;
  /** Allocation deadline after the saga's first AllocateStock (never after the reservation's time: invariant no-sale-undone-by-our-outage). */
  deadlineMs: number;
  retryBaseMs: number;
  /** The longest wait between two attempts: an overdue saga asks the WMS at least this often. */
  retryMaxMs: number;
  /**
   * How long an AllocateStock may travel (queued in a proxy or in the warehouse) and still be
   * applied after its caller gave up. A cancel is final only once this has passed since the last
   * AllocateStock of its reference; before, it is sent once more at that time (ADR 0017).
   */
  lateAllocateMs: number;
};

export const MAX_NOTES = 20;

/** The WMS reference of the saga's allocation at its current location. */
export const referenceOf = (saga: AllocationSaga): string => saga.reference ?? saga.reservationId;

/** How long an issued command is leased: no other is issued for the phase (or the cancel left behind) meanwhile. */
export const leaseMs = (policy: SagaPolicy): number => 2 * policy.callTimeoutMs;
