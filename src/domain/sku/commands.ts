import type { VectorClock } from '../core/vectorClock';
import type { StockCause } from './events';
import type { FailoverLimits, ShardRegions } from './shardRegions';
import type { SalePolicyChange } from './salePolicy';

type Command<T extends string, D> = { type: T; data: D; causedBy?: VectorClock };

export type SetStock = Command<
  'SetStock',
  { sku: string; onHand: number; limitPerCustomer?: number | null; shards?: number; shardRegions?: ShardRegions | undefined; failoverLimits?: FailoverLimits | undefined; policy?: SalePolicyChange | undefined; expectedVersion?: number; cause?: AdminCause | undefined } & Placement
>;
/** Who changed stock by hand: the admin key's id (a digest prefix, never the key), recorded on the event. */
export type AdminCause = Extract<StockCause, { kind: 'admin' }>;
/** Which location a stock change is for (absent: `default`), and how reservations are sourced to it. */
export type Placement = { location?: string | undefined; priority?: number | undefined; region?: string | null | undefined };
/** A shard of a sharded SKU: its stock moved by `delta`, its layout and limit set (see api/shards.ts). */
export type AdjustStock = Command<
  'AdjustStock',
  { sku: string; delta: number; shards: number; shardRegions?: ShardRegions | undefined; failoverLimits?: FailoverLimits | undefined; policy?: SalePolicyChange | undefined; limitPerCustomer: number | null; cause?: AdminCause | undefined } & Placement
>;
export type ReceiveStock = Command<
  'ReceiveStock',
  { sku: string; qty: number; expectedVersion?: number; location?: string | undefined; cause?: AdminCause | undefined }
>;
/**
 * A warehouse document moved a location's physical stock (the bridge's feed): applied once, by the
 * document's sequence in its warehouse (see shortfall.ts for a movement that takes units committed).
 */
export type ApplyMovement = Command<
  'ApplyMovement',
  { sku: string; warehouse: string; document: string; sequence: number; movement: 'receipt' | 'count' | 'damage'; location: string; delta: number }
>;
/** A repair of a location's stock by reconcile (an admin key), citing the warehouse document if there is one. */
export type AdjustLocation = Command<
  'AdjustLocation',
  { sku: string; location: string; delta: number; reason: string; document?: string | undefined; keyId: string }
>;
export type Reserve = Command<
  'Reserve',
  // rehomedFrom: the customer's home shard, unreachable, whose buyer this sibling serves (issue 25, docs/adr/0022).
  // ttlDefaulted: the caller asked no hold time (ttlSeconds is the edge's default): the SKU's policy may set its own (issue 26).
  { sku: string; reservationId: string; customerId: string; qty: number; ttlSeconds: number; ttlDefaulted?: true | undefined; region?: string | undefined; rehomedFrom?: number | undefined }
>;
export type CompletePurchase = Command<'CompletePurchase', { reservationId: string; customerId: string }>;
export type CancelReservation = Command<'CancelReservation', { reservationId: string; customerId: string }>;
export type ExpireReservation = Command<'ExpireReservation', { reservationId: string }>;
export type AdminRelease = Command<'AdminRelease', { reservationId: string; expectedVersion?: number; cause?: AdminCause | undefined }>;
/**
 * `location`: where the saga's allocation is; `resourcings`: how many re-sourcings the saga had read
 * when it decided. A verdict about a location the reservation left, or decided before its latest
 * re-sourcing, is refused; absent (an older bridge): not checked.
 */
export type AllocationVerdict = { reservationId: string; location?: string | undefined; resourcings?: number | undefined };
/** `reference`: the warehouse reference the units are allocated under (absent: an older bridge's verdict). */
export type ConfirmAllocation = Command<'ConfirmAllocation', AllocationVerdict & { allocationId: string; reference?: string | undefined }>;
/**
 * `tried`: the locations the saga has allocated at (a bridge that fails over between warehouses
 * sends it): the reservation is re-sourced to another location with its units instead of released.
 */
export type FailAllocation = Command<'FailAllocation', AllocationVerdict & { reason: 'wms_timeout' | 'wms_rejected'; tried?: readonly string[] | undefined }>;

/**
 * A sibling shard asks for units: `want` is its deficit; a lender gives more when it has plenty.
 * `location`: units of that location only (else the lender's preferred one, the buyer's `region`
 * first). `recall`: shard 0 takes `want` units of `location` back for a warehouse document,
 * committed ones too (their reservations give way by the shortfall rule).
 */
export type LendStock = Command<
  'LendStock',
  { transferId: string; to: string; want: number; location?: string | undefined; region?: string | undefined; recall?: StockCause | undefined }
>;
/** Units a sibling lent arrive (from the borrower's walk, or redelivered by the lender). */
export type ReceiveLoan = Command<'ReceiveLoan', { transferId: string; from: string; qty: number; location?: string | undefined }>;

export type SkuCommand =
  | SetStock
  | AdjustStock
  | ReceiveStock
  | Reserve
  | CompletePurchase
  | CancelReservation
  | ExpireReservation
  | AdminRelease
  | ConfirmAllocation
  | FailAllocation
  | LendStock
  | ReceiveLoan
  | ApplyMovement
  | AdjustLocation;
