import { locationAvailable, type LocationStock } from './locations';

/**
 * Where a reservation of `qty` units is taken from: one location, never split. Among the
 * locations with the units, those in the buyer's `region` if any, then the lower priority, then
 * the most available, then the id: deterministic, so a replayed decision sources the same.
 * Null when no single location has the units.
 */
export function sourceLocation(locations: readonly LocationStock[], qty: number, region?: string): LocationStock | null {
  const able = locations.filter((l) => locationAvailable(l) >= qty);
  const local = region === undefined ? [] : able.filter((l) => l.region === region);
  const [first] = [...(local.length > 0 ? local : able)].sort(preference);
  return first ?? null;
}

const preference = (a: LocationStock, b: LocationStock): number =>
  a.priority - b.priority || locationAvailable(b) - locationAvailable(a) || (a.location < b.location ? -1 : a.location > b.location ? 1 : 0);

/** The most units one reservation could take now: what a refused buyer is told is available. */
export const mostSourceable = (locations: readonly LocationStock[]): number =>
  locations.reduce((most, l) => Math.max(most, locationAvailable(l)), 0);
