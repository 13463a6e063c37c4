import { DEFAULT_LOCATION, hasNamedLocations, locationAvailable } from './locations';
import type { ShardRegion } from './shardRegions';
import { hasPolicy, type SalePolicy } from './salePolicy';
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
  /** Where the shards live (shard k in [k mod R]), when recorded (issue 25). */
  shardRegions?: ShardRegion[];
  /** Present on a sharded SKU whose re-homed customers are refused rather than served past their limit. */
  failoverLimits?: 'strict';
  /** Present when the SKU has a sale policy (issue 26): its rules, null where none. */
  policy?: SalePolicy;
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
  ...(state.shards > 1
    ? { shards: state.shards, ...(state.shardRegions ? { shardRegions: state.shardRegions } : {}), ...(state.failoverLimits === 'strict' ? { failoverLimits: 'strict' as const } : {}) }
    : {}),
  ...(hasPolicy(state.policy) ? { policy: state.policy } : {}),
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
    ...(parts.length > 1 ? { shards: parts.length, ...(first?.shardRegions ? { shardRegions: first.shardRegions } : {}), ...(first?.failoverLimits ? { failoverLimits: first.failoverLimits } : {}) } : {}),
    ...(first?.policy ? { policy: first.policy } : {}),
    ...(parts.some((p) => p.locations) ? { locations: sumLocations(parts) } : {}),
    version: sum('version'),
    asOf,
  };
}

/** Each location's counters summed over the shards (sorted by id); fed as shard 0, where its documents are applied, says. */
function sumLocations(parts: readonly SkuCounters[]): LocationCounters[] {
  const byId = new Map<string, LocationCounters>();
  for (const part of parts) {
    // A shard that names no location holds the implicit `default`.
    const locations = part.locations ?? [{ location: DEFAULT_LOCATION, onHand: part.onHand, reserved: part.reserved, sold: part.sold, available: part.available, fed: null }];
    for (const l of locations) {
      const seen = byId.get(l.location);
      byId.set(l.location, seen ? {
        location: l.location,
        onHand: seen.onHand + l.onHand,
        reserved: seen.reserved + l.reserved,
        sold: seen.sold + l.sold,
        available: seen.available + l.available,
        fed: seen.fed ?? l.fed,
      } : { ...l });
    }
  }
  return [...byId.values()].filter((l) => l.location !== DEFAULT_LOCATION || l.onHand !== 0 || l.reserved !== 0 || l.sold !== 0)
    .sort((a, b) => (a.location < b.location ? -1 : a.location > b.location ? 1 : 0));
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
