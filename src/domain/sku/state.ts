import type { ReleaseReason } from './events';

export type PurchaseStatus = 'held' | 'completed' | 'released';
export type AllocationStatus = 'pending' | 'allocated' | 'failed';

/**
 * A reservation has two independent sides: allocation (driven by the WMS saga) and purchase
 * (driven by the buyer). `released` is terminal and is never removed: late WMS replies and
 * late payments must still find it.
 */
export type Reservation = {
  reservationId: string;
  customerId: string;
  qty: number;
  expiresAt: string;
  status: PurchaseStatus;
  allocation: AllocationStatus;
  allocationId: string | null;
  releaseReason: ReleaseReason | null;
  /** Released after the buyer completed the purchase: the money must go back. */
  refundDue: boolean;
  /** Version of the StockReserved event: the cause named by every later event about it. */
  reservedAtVersion: number;
  /** Version of the last event that changed it. */
  version: number;
};

export type SkuState = {
  sku: string | null;
  version: number;
  onHand: number;
  reserved: number;
  sold: number;
  limitPerCustomer: number | null;
  lastEventAt: string | null;
  reservations: ReadonlyMap<string, Reservation>;
};

export const initialSkuState = (): SkuState => ({
  sku: null,
  version: 0,
  onHand: 0,
  reserved: 0,
  sold: 0,
  limitPerCustomer: null,
  lastEventAt: null,
  reservations: new Map(),
});

export const available = (state: SkuState): number => state.onHand - state.reserved - state.sold;

export const skuExists = (state: SkuState): boolean => state.version > 0;

/** Units a customer holds or bought and still has: what `limitPerCustomer` caps. */
export function activeUnitsOf(state: SkuState, customerId: string): number {
  let units = 0;
  for (const r of state.reservations.values()) {
    if (r.customerId === customerId && r.status !== 'released') units += r.qty;
  }
  return units;
}
