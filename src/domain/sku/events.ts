import { z } from 'zod';
import { VectorClockSchema } from '../core/vectorClock';
import { LocationIdSchema, RegionSchema } from './locations';
import { ShardsSchema, StreamIdSchema } from './shards';

export const RELEASE_REASONS = ['cancelled', 'expired', 'wms_timeout', 'wms_rejected', 'admin'] as const;
export const ReleaseReasonSchema = z.enum(RELEASE_REASONS);
export type ReleaseReason = z.infer<typeof ReleaseReasonSchema>;

const envelope = {
  /** The stream: the SKU, or `SKU~k` for shard k of a sharded SKU (see shards.ts). */
  sku: StreamIdSchema,
  version: z.int().min(1),
  at: z.iso.datetime(),
  causedBy: VectorClockSchema,
};

const reservationRef = { reservationId: z.string().min(1) };
/** Optional on every event that moves units (ADR 0012: optional, so not a new version); absent means `default`. */
const place = { location: LocationIdSchema.optional() };

export const StockSetSchema = z.object({
  type: z.literal('StockSet'),
  ...envelope,
  // shards: the layout, present only when the SKU is split (so an unsharded SKU's events are as before).
  // location (with its priority and region): the site whose units are set; absent, the implicit `default`.
  data: z.object({
    onHand: z.int().min(0),
    limitPerCustomer: z.int().min(1).nullable(),
    shards: ShardsSchema.optional(),
    ...place,
    priority: z.int().min(0).optional(),
    region: RegionSchema.nullable().optional(),
  }),
});
export const StockReceivedSchema = z.object({
  type: z.literal('StockReceived'),
  ...envelope,
  data: z.object({ qty: z.int().min(1), ...place }),
});
export const StockReservedSchema = z.object({
  type: z.literal('StockReserved'),
  ...envelope,
  data: z.object({
    ...reservationRef,
    customerId: z.string().min(1),
    qty: z.int().min(1),
    expiresAt: z.iso.datetime(),
    ...place,
  }),
});
export const AllocationConfirmedSchema = z.object({
  type: z.literal('AllocationConfirmed'),
  ...envelope,
  data: z.object({ ...reservationRef, allocationId: z.string().min(1) }),
});
export const ReservationCompletedSchema = z.object({
  type: z.literal('ReservationCompleted'),
  ...envelope,
  // The quantity rides on the event so that a reader of the log folds counters without rows.
  data: z.object({ ...reservationRef, qty: z.int().min(1), ...place }),
});
export const StockReleasedSchema = z.object({
  type: z.literal('StockReleased'),
  ...envelope,
  // refundDue: the units were sold, not held (they leave `sold`, and the money goes back).
  data: z.object({ ...reservationRef, qty: z.int().min(1), reason: ReleaseReasonSchema, refundDue: z.boolean(), ...place }),
});

const transfer = { transferId: z.string().min(1), qty: z.int().min(1) };
/** A shard gave units to a sibling short of them (`to`: the sibling's stream). */
export const StockLentSchema = z.object({
  type: z.literal('StockLent'),
  ...envelope,
  data: z.object({ ...transfer, to: StreamIdSchema }),
});
/** A shard took units a sibling lent it; `causedBy` names the StockLent in the lender's stream. */
export const StockBorrowedSchema = z.object({
  type: z.literal('StockBorrowed'),
  ...envelope,
  data: z.object({ ...transfer, from: StreamIdSchema }),
});

/** The wire shape of every SKU event: in the log, on Kafka, from the admin events route. */
export const SkuEventSchema = z.discriminatedUnion('type', [
  StockSetSchema,
  StockReceivedSchema,
  StockReservedSchema,
  AllocationConfirmedSchema,
  ReservationCompletedSchema,
  StockReleasedSchema,
  StockLentSchema,
  StockBorrowedSchema,
]);
export type SkuEvent = z.infer<typeof SkuEventSchema>;
export type SkuEventType = SkuEvent['type'];
export type SkuEventOf<T extends SkuEventType> = Extract<SkuEvent, { type: T }>;
