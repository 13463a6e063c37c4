import { DEFAULT_LOCATION } from '../sku/locations';

/**
 * The WMS knows an allocation by the id the saga gives it (its "reference"), idempotent by it, and
 * a cancel leaves a tombstone that refuses a later AllocateStock of the same id. So each location a
 * reservation is allocated at has its own reference (ADR 0015):
 * - at the location it was first sourced to: the reservation id itself (as before locations);
 * - after a re-sourcing to `to`: `<reservationId>@<to>`;
 * - back at a location it had used already (whose reference is cancelled, or being cancelled):
 *   `<reservationId>@<to>~<n>`, n the re-sourcing's number, so no reference is ever used twice.
 * A reservation id (`res_…`) and a location id never contain `@` or `~`.
 */
export const REFERENCE_AT = '@';

/** A location as a saga keeps it: null and `default` are both the warehouse's default location. */
export const locationKey = (location: string | null): string => location ?? DEFAULT_LOCATION;
export const sameLocation = (a: string | null, b: string | null): boolean => locationKey(a) === locationKey(b);

/** The location to name to AllocateStock: none for the default one (the warehouse's first site). */
export const wmsLocation = (location: string | null): string | undefined =>
  location === null || location === DEFAULT_LOCATION ? undefined : location;

/** The reference of the `n`-th re-sourcing's allocation at `to`; `visited`: locations used already. */
export function referenceAfterResourcing(reservationId: string, to: string | null, n: number, visited: readonly string[]): string {
  const base = `${reservationId}${REFERENCE_AT}${locationKey(to)}`;
  return visited.includes(locationKey(to)) ? `${base}~${n}` : base;
}

/** Which reservation a WMS reference is for, and whether it is a re-sourced one's (reconcile matches by it). */
export function parseReference(reference: string): { reservationId: string; resourced: boolean } {
  const at = reference.indexOf(REFERENCE_AT);
  return at < 0 ? { reservationId: reference, resourced: false } : { reservationId: reference.slice(0, at), resourced: true };
}
