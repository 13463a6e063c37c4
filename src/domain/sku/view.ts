import { hasNamedLocations, locationAvailable } from './locations';
import { available, type Reservation, type SkuState } from './state';

/** One location's counters as a reader sees them. */
export type LocationCounters = {
  location: string;
  onHand: number;
  reserved: number;
  sold: number;
  available: number;
  /** The warehouse whose documents feed it and the last sequence applied; null when set by hand. */
  fed: { warehouse: string; sequence: number } | null;
};

/** The counters a reader sees; `version` lets a client tell how fresh a view is. */
export type SkuCounters = {
  sku: string;
  onHand: number;
  reserved: number;
  sold: number;
  available: number;
  limitPerCustomer: number | null;
  /** Present when the SKU is split over shards. */
  shards?: number;
  /** Present when the SKU named a location: each one's counters, whose sums are the SKU's. */
  locations?: LocationCounters[];
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
  ...(state.shards > 1 ? { shards: state.shards } : {}),
  ...(hasNamedLocations(state)
    ? { locations: state.locations.map((l) => ({ location: l.location, onHand: l.onHand, reserved: l.reserved, sold: l.sold, available: locationAvailable(l), fed: l.feed })) }
    : {}),
  version: state.version,
  asOf: state.lastEventAt,
});

/**
 * A sharded SKU's counters: the sum of its shards' (shard 0 first, whose layout and limit they
 * are). The version is the sum of the shards' versions, so it still grows with every event and a
 * reader can still tell the fresher of two views.
 */
export function sumCounters(sku: string, parts: readonly SkuCounters[]): SkuCounters {
  const [first] = parts;
  const sum = (field: 'onHand' | 'reserved' | 'sold' | 'available' | 'version') => parts.reduce((n, p) => n + p[field], 0);
  const asOf = parts.map((p) => p.asOf).reduce<string | null>((a, b) => (a === null || (b !== null && b > a) ? b : a), null);
  return {
    sku,
    onHand: sum('onHand'),
    reserved: sum('reserved'),
    sold: sum('sold'),
    available: sum('available'),
    limitPerCustomer: first?.limitPerCustomer ?? null,
    ...(parts.length > 1 ? { shards: parts.length } : {}),
    version: sum('version'),
    asOf,
  };
}

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
  /** The location its units come from; absent on a SKU that named none. */
  location?: string;
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
  ...(r.location === null ? {} : { location: r.location }),
  version: r.version,
});
