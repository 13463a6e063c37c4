import type { AllocationVerdict } from './commands';
import { DEFAULT_LOCATION } from './locations';
import type { Reservation } from './state';

/**
 * A verdict the saga decided before it read the latest ReservationResourced: about a location the
 * reservation left, or back where it was (A→B→A: only the count tells). Refused; the saga moves on
 * once it reads the event (ADR 0015). No location, or no count (an older bridge): not checked on it.
 */
export function staleVerdict(r: Reservation, { location, resourcings }: AllocationVerdict): string | null {
  const at = r.location ?? DEFAULT_LOCATION;
  if (location !== undefined && location !== at) return `the reservation was re-sourced to ${at}: a verdict about an allocation at ${location} is not its`;
  const stale = resourcings !== undefined && resourcings < r.resourcings;
  return stale ? `the reservation was re-sourced ${r.resourcings} times, now to ${at}: a verdict decided after ${resourcings} is not its` : null;
}
