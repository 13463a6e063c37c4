import { locationKey, wmsLocation } from './reference';
import type { AllocationSaga } from './saga';

/*
 * Sagas across warehouses (issue 23): when the warehouse serving a reservation's location refuses
 * it for stock or stays unreachable past the deadline, the saga's Release names the locations it
 * has allocated at (`tried`), and the SKU object moves the reservation to another location with
 * its units instead of releasing it (src/domain/sku/failover.ts). The ReservationResourced that
 * records it moves the saga: the allocation left behind is cancelled at the first warehouse, a new
 * one made at the second under its own reference (ADR 0015), with its own deadline.
 */

/**
 * The locations the saga has allocated at, the current one included. None where the reservation
 * names no location (a SKU without locations, or a saga from before them): nowhere else to go.
 */
export function triedOf(saga: AllocationSaga): { tried?: string[] } {
  if (wmsLocation(saga.location) === undefined) return {};
  return { tried: [...new Set([...saga.visited, locationKey(saga.location)])] };
}

/** A sale past its deadline asks once per location to move; one that names no location never does. */
export const mayFailOver = (saga: AllocationSaga): boolean => wmsLocation(saga.location) !== undefined && !saga.failoverAsked;

export const FAILOVER_NOTE = "completed purchase past its allocation deadline: asking the SKU object to move it to another warehouse's location";
