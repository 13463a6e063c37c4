import { z } from 'zod';
import { VectorClockSchema } from '../core/vectorClock';
import { LocationIdSchema, RegionSchema } from './locations';
import { FailoverLimitsSchema, ShardRegionsSchema } from './shardRegions';
import { SalePolicySchema } from './salePolicy';
import { ShardsSchema, StreamIdSchema } from './shards';

export const RELEASE_REASONS = ['cancelled', 'expired', 'wms_timeout', 'wms_rejected', 'admin', 'stock_shortfall'] as const;
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

/** A warehouse system from the bridge's configuration (`soap-1`); same alphabet as a location. */
export const WarehouseIdSchema = LocationIdSchema;
/** A warehouse document number (`WMS-000123`): printable ASCII, no spaces. */
export const WarehouseDocumentSchema = z.string().regex(/^[\x21-\x7e]{1,64}$/, 'a document number (1-64 printable characters, no spaces)');
export const MOVEMENT_KINDS = ['receipt', 'count', 'damage'] as const;
export const MovementKindSchema = z.enum(MOVEMENT_KINDS);

/**
 * Why stock changed (audit): an admin's key (its id, a digest prefix, never the key), a warehouse
 * document fed by the bridge, a repair by reconcile citing the warehouse's document, or the saga
 * of a reservation. Optional on the events that had no cause before (ADR 0012: not a new version).
 */
export const StockCauseSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('admin'), keyId: z.string().min(1).max(64) }),
  z.object({ kind: z.literal('warehouse'), warehouse: WarehouseIdSchema, document: WarehouseDocumentSchema, sequence: z.int().min(1), movement: MovementKindSchema }),
  z.object({ kind: z.literal('repair'), keyId: z.string().min(1).max(64), reason: z.string().min(1).max(200), document: WarehouseDocumentSchema.optional() }),
  z.object({ kind: z.literal('saga'), reservationId: z.string().min(1) }),
]);
export type StockCause = z.infer<typeof StockCauseSchema>;
const caused = { cause: StockCauseSchema.optional() };
/** Optional on every event that moves units (ADR 0012: optional, so not a new version); absent means `default`. */
const place = { location: LocationIdSchema.optional() };
/**
 * The warehouse reference the reservation's units were allocated under (`reference.ts` of the
 * saga), where a saga confirmed one: whoever cancels them later (a saga reopened after its
 * retirement) cancels that, not a guess. Absent on events written before it, and where none was confirmed.
 */
const heldUnder = { reference: z.string().min(1).max(128).optional() };

export const StockSetSchema = z.object({
  type: z.literal('StockSet'),
  ...envelope,
  // shards: the layout, present only when the SKU is split (so an unsharded SKU's events are as before).
  // location (with its priority and region): the site whose units are set; absent, the implicit `default`.
  data: z.object({
    onHand: z.int().min(0),
    limitPerCustomer: z.int().min(1).nullable(),
    shards: ShardsSchema.optional(),
    // shardRegions: where the shards live (shard k in [k mod R]), with the layout, where recorded (issue 25).
    shardRegions: ShardRegionsSchema.optional(),
    // failoverLimits: how a sibling treats a re-homed customer's limit, when set (absent: relaxed).
    failoverLimits: FailoverLimitsSchema.optional(),
    // policy: the SKU's sale policy as this change left it, when the change set one (issue 26).
    policy: SalePolicySchema.optional(),
    ...place,
    priority: z.int().min(0).optional(),
    region: RegionSchema.nullable().optional(),
    ...caused,
  }),
});
export const StockReceivedSchema = z.object({
  type: z.literal('StockReceived'),
  ...envelope,
  data: z.object({ qty: z.int().min(1), ...place, ...caused }),
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
    // Served here while the customer's home shard was unreachable: its per-customer limit was counted on this shard only (ADR 0022).
    rehomedFrom: z.int().min(0).optional(),
  }),
});
export const AllocationConfirmedSchema = z.object({
  type: z.literal('AllocationConfirmed'),
  ...envelope,
  data: z.object({ ...reservationRef, allocationId: z.string().min(1), ...heldUnder, ...caused }),
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
  data: z.object({ ...reservationRef, qty: z.int().min(1), reason: ReleaseReasonSchema, refundDue: z.boolean(), ...place, ...heldUnder, ...caused }),
});

/**
 * A location's physical stock moved by a warehouse document (receipt, count correction, damage)
 * or a reconcile repair: `delta` is the signed change of its on-hand units. Applied once per
 * warehouse document: a location fed by a warehouse keeps the last document sequence it applied.
 */
export const StockMovedSchema = z.object({
  type: z.literal('StockMoved'),
  ...envelope,
  data: z.object({ location: LocationIdSchema, delta: z.int(), cause: StockCauseSchema }),
});
/**
 * An exception: a location's stock fell below what it had committed (reserved + sold) by `short`
 * units. The events after it in the same decision re-source or release the affected reservations;
 * `unresolved` units (sold ones no location could take) are left for an operator.
 */
export const StockShortfallSchema = z.object({
  type: z.literal('StockShortfall'),
  ...envelope,
  data: z.object({ location: LocationIdSchema, short: z.int().min(1), unresolved: z.int().min(0), cause: StockCauseSchema }),
});
/**
 * Why a reservation moved: its location fell short of stock (a warehouse document), or the
 * warehouse serving it refused the allocation for stock or stayed unreachable past the saga's deadline.
 */
export const ResourcingReasonSchema = z.enum(['stock_shortfall', 'wms_rejected', 'wms_timeout']);
export type ResourcingReason = z.infer<typeof ResourcingReasonSchema>;
/** A reservation's units moved from one location to another (`completed`: they were sold, not held). */
export const ReservationResourcedSchema = z.object({
  type: z.literal('ReservationResourced'),
  ...envelope,
  data: z.object({ ...reservationRef, qty: z.int().min(1), from: LocationIdSchema, to: LocationIdSchema, completed: z.boolean(), reason: ResourcingReasonSchema, ...heldUnder }),
});

const transfer = { transferId: z.string().min(1), qty: z.int().min(1) };
/**
 * A shard gave units of one location to a sibling short of them (`to`: the sibling's stream). With
 * a `cause`, a recall: shard 0 took them back for a warehouse document that lowered the location,
 * committed units included (a StockShortfall may follow in the same decision).
 */
export const StockLentSchema = z.object({
  type: z.literal('StockLent'),
  ...envelope,
  data: z.object({ ...transfer, to: StreamIdSchema, ...place, ...caused }),
});
/** A shard took units a sibling lent it; `causedBy` names the StockLent in the lender's stream. */
export const StockBorrowedSchema = z.object({
  type: z.literal('StockBorrowed'),
  ...envelope,
  data: z.object({ ...transfer, from: StreamIdSchema, ...place }),
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
  StockMovedSchema,
  StockShortfallSchema,
  ReservationResourcedSchema,
]);
export type SkuEvent = z.infer<typeof SkuEventSchema>;
export type SkuEventType = SkuEvent['type'];
export type SkuEventOf<T extends SkuEventType> = Extract<SkuEvent, { type: T }>;
