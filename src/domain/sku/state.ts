import { z } from 'zod';
import type { ReleaseReason } from './events';
import { LocationStockSchema } from './locations';
import { FailoverLimitsSchema, ShardRegionsSchema } from './shardRegions';
import { NO_POLICY, SalePolicySchema } from './salePolicy';

export type PurchaseStatus = 'held' | 'completed' | 'released';
export type AllocationStatus = 'pending' | 'allocated' | 'failed';

/**
 * A reservation has two independent sides: allocation (driven by the WMS saga) and purchase
 * (driven by the buyer). `released` is terminal and is never removed: late WMS replies and
 * late payments must still find it. A live object keeps these as rows of an indexed table, never
 * all in memory: a flash sale puts hundreds of thousands on one SKU.
 */
export type Reservation = {
  reservationId: string;
  customerId: string;
  qty: number;
  expiresAt: string;
  status: PurchaseStatus;
  allocation: AllocationStatus;
  allocationId: string | null;
  /** The warehouse reference of that allocation, when its verdict named one (AllocationConfirmed). */
  allocationReference: string | null;
  releaseReason: ReleaseReason | null;
  /** Released after the buyer completed the purchase: the money must go back. */
  refundDue: boolean;
  /** The location its units were taken from; null on a SKU that named none (the implicit `default`). */
  location: string | null;
  /**
   * How many times it was re-sourced (ReservationResourced): a saga's verdict decided after fewer
   * is stale, even back at the same location (ADR 0015).
   */
  resourcings: number;
  /** Version of the StockReserved event: the cause named by every later event about it. */
  reservedAtVersion: number;
  /** Version of the last event that changed it. */
  version: number;
};

/**
 * What every decision needs, and nothing that grows with the history: the counters. Fixed size,
 * so a command costs the same at the millionth reservation as at the first. Also the wire shape
 * of a SKU snapshot: parsing keeps these fields only (a record of an older version carried every
 * reservation, which must not come back into memory).
 */
export const SkuStateSchema = z.object({
  sku: z.string().nullable(),
  version: z.int().min(0),
  onHand: z.int(),
  reserved: z.int(),
  sold: z.int(),
  limitPerCustomer: z.int().nullable(),
  /** How many shards the SKU is split over, as this stream last heard (1: not sharded). */
  shards: z.int().min(1).default(1),
  /** The regions the shards live in (shard k in [k mod R]); null: never recorded (unsharded, or sharded before regions). */
  shardRegions: ShardRegionsSchema.nullable().default(null),
  /** Whether a re-homed customer's limit is relaxed (served by a sibling) or strict (refused until home answers). */
  failoverLimits: FailoverLimitsSchema.default('relaxed'),
  /** Units held and let expire unbought, over the SKU's life: the hoarding signal beside `sold` (issue 26). */
  expiredUnits: z.int().default(0),
  /** The sale policy: per-reservation maximum, hold times, start (salePolicy.ts); every rule null when none was set. */
  policy: SalePolicySchema.default(NO_POLICY),
  /** Units this shard lent to siblings less those it borrowed: onHand + lent, summed over the shards, is the SKU's stock even while a loan is on its way. */
  lent: z.int().default(0),
  /** Per-location counters once the SKU named a location (the totals are then their sums); empty: one implicit `default`. */
  locations: z.array(LocationStockSchema).default([]),
  lastEventAt: z.string().nullable(),
});
export type SkuState = z.infer<typeof SkuStateSchema>;

export const initialSkuState = (): SkuState => ({
  sku: null,
  version: 0,
  onHand: 0,
  reserved: 0,
  sold: 0,
  limitPerCustomer: null,
  shards: 1,
  shardRegions: null,
  failoverLimits: 'relaxed',
  policy: NO_POLICY,
  expiredUnits: 0,
  lent: 0,
  locations: [],
  lastEventAt: null,
});

export const available = (state: SkuState): number => state.onHand - state.reserved - state.sold;

export const skuExists = (state: SkuState): boolean => state.version > 0;
