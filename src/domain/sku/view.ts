import { available, type Reservation, type SkuState } from './state';

/** The counters a reader sees; `version` lets a client tell how fresh a view is. */
export type SkuCounters = {
  sku: string;
  onHand: number;
  reserved: number;
  sold: number;
  available: number;
  limitPerCustomer: number | null;
  version: number;
  asOf: string | null;
};

export const skuCounters = (state: SkuState): SkuCounters => ({
  sku: state.sku ?? '',
  onHand: state.onHand,
  reserved: state.reserved,
  sold: state.sold,
  available: available(state),
  limitPerCustomer: state.limitPerCustomer,
  version: state.version,
  asOf: state.lastEventAt,
});

/** A reservation as its owner sees it. */
export type ReservationView = {
  reservationId: string;
  sku: string;
  customerId: string;
  qty: number;
  status: Reservation['status'];
  allocation: Reservation['allocation'];
  expiresAt: string;
  releaseReason: Reservation['releaseReason'];
  refundDue: boolean;
  version: number;
};

export const reservationView = (sku: string, r: Reservation): ReservationView => ({
  reservationId: r.reservationId,
  sku,
  customerId: r.customerId,
  qty: r.qty,
  status: r.status,
  allocation: r.allocation,
  expiresAt: r.expiresAt,
  releaseReason: r.releaseReason,
  refundDue: r.refundDue,
  version: r.version,
});
