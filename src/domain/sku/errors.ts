import type { ReleaseReason } from './events';
import type { PolicyRefusal } from './salePolicy';

/** Every way a SKU command can be refused. Mapped to HTTP in exactly one place (the edge). */
export type SkuError =
  | { code: 'sku_not_found' }
  | { code: 'insufficient_stock'; available: number }
  | { code: 'customer_limit'; limitPerCustomer: number; activeUnits: number }
  /** The SKU's sale policy (salePolicy.ts): reservations open at `startsAt`; at most so many units per reservation. */
  | PolicyRefusal
  | { code: 'version_conflict'; currentVersion: number; expectedVersion: number }
  | { code: 'below_committed'; committed: number }
  /** The location's stock is fed by a warehouse's documents: changed by an adjustment, never set by hand. */
  | { code: 'location_fed'; location: string; warehouse: string }
  | { code: 'reservation_not_found' }
  | { code: 'reservation_released'; reason: ReleaseReason }
  | { code: 'reservation_expired' }
  | { code: 'reservation_completed' }
  | { code: 'allocation_conflict'; allocationId: string | null }
  | { code: 'invalid_command'; reason: string };

export type SkuErrorCode = SkuError['code'];
