import type { FailAllocation } from './commands';
import type { EventBody } from './emit';
import { DEFAULT_LOCATION, hasNamedLocations, locationsOf } from './locations';
import { sourceLocation } from './sourcing';
import type { SkuState, Reservation } from './state';

/**
 * Sagas across warehouses (issue 23): the warehouse serving a reservation's location refused it
 * for stock, or stayed unreachable past the saga's deadline. If another location the saga has not
 * tried has all its units, the reservation moves there (a ReservationResourced naming both; the
 * saga cancels at the first and allocates at the second) instead of being released: a
 * reservation is lost only when no location can serve it. A sold one moves too. Only for a saga
 * that names what it tried (`tried`): an older bridge's verdicts release as before.
 */
export function failoverOf(state: SkuState, r: Reservation, data: FailAllocation['data']): EventBody | null {
  if (data.tried === undefined || !hasNamedLocations(state)) return null;
  const from = r.location ?? DEFAULT_LOCATION;
  const tried = new Set([...data.tried, from]);
  const to = sourceLocation(locationsOf(state).filter((l) => !tried.has(l.location)), r.qty);
  if (!to) return null;
  return {
    type: 'ReservationResourced',
    data: { reservationId: r.reservationId, qty: r.qty, from, to: to.location, completed: r.status === 'completed', reason: data.reason },
  };
}
