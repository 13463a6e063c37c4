import { z } from 'zod';

/** The location of a SKU that never named one: its stock is held there, as before locations existed. */
export const DEFAULT_LOCATION = 'default';

export const LocationIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a location id (1-64 letters, digits, . _ -)');
export const RegionSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/, 'a region (1-32 letters, digits, . _ -)');

/**
 * One warehouse site's counters for a SKU, and how reservations are sourced to it: a buyer's
 * `region` first, then the lower `priority`. Invariant never-oversell-a-location: reserved + sold ≤ onHand.
 */
export const LocationStockSchema = z.object({
  location: LocationIdSchema,
  onHand: z.int(),
  reserved: z.int(),
  sold: z.int(),
  priority: z.int().min(0).default(0),
  region: RegionSchema.nullable().default(null),
  /** Fed by a warehouse: which, and the last document sequence applied (a movement at or below it counted already). */
  feed: z.object({ warehouse: z.string().min(1), sequence: z.int().min(1) }).nullable().default(null),
  /** On a shard of a sharded SKU: this location's units lent to siblings less those borrowed (its share of the SKU-wide `lent`). */
  lent: z.int().default(0),
});
export type LocationStock = z.infer<typeof LocationStockSchema>;

export const locationAvailable = (l: LocationStock): number => l.onHand - l.reserved - l.sold;

/** What of a SKU's state locations are about (the SKU state has it; no import back to it). */
type Stock = { onHand: number; reserved: number; sold: number; lent: number; locations: LocationStock[] };

const implicitDefault = (state: Stock): LocationStock => ({
  location: DEFAULT_LOCATION,
  onHand: state.onHand,
  reserved: state.reserved,
  sold: state.sold,
  priority: 0,
  region: null,
  feed: null,
  lent: state.lent,
});

const emptyLocation = (location: string): LocationStock => ({ location, onHand: 0, reserved: 0, sold: 0, priority: 0, region: null, feed: null, lent: 0 });

/** Whether the SKU ever named a location (then its counters are the sums of `locations`). */
export const hasNamedLocations = (state: Stock): boolean => state.locations.length > 0;

/** Every location of the SKU: the named ones, or the one implicit `default` holding the totals. */
export const locationsOf = (state: Stock): readonly LocationStock[] =>
  hasNamedLocations(state) ? state.locations : [implicitDefault(state)];

/** One location's counters (zero for one the SKU does not have yet); `undefined` is `default`. */
export const locationStock = (state: Stock, location: string | undefined): LocationStock => {
  const key = location ?? DEFAULT_LOCATION;
  return locationsOf(state).find((l) => l.location === key) ?? emptyLocation(key);
};

/**
 * The state after one location changed. `location` undefined on a SKU without named locations
 * changes the totals as ever; naming one turns the implicit `default` (if it holds anything)
 * into a named entry, and the totals become the sums (kept sorted by id: one state, one shape).
 */
export function withLocation<S extends Stock>(state: S, location: string | undefined, change: (l: LocationStock) => LocationStock): S {
  if (location === undefined && !hasNamedLocations(state)) {
    const { onHand, reserved, sold, lent } = change(implicitDefault(state));
    return { ...state, onHand, reserved, sold, lent };
  }
  const key = location ?? DEFAULT_LOCATION;
  const current = hasNamedLocations(state) ? state.locations : [implicitDefault(state)].filter(holdsAnything);
  const changed = change(current.find((l) => l.location === key) ?? emptyLocation(key));
  const locations = [...current.filter((l) => l.location !== key), changed].sort((a, b) => (a.location < b.location ? -1 : a.location > b.location ? 1 : 0));
  const sum = (field: 'onHand' | 'reserved' | 'sold' | 'lent') => locations.reduce((n, l) => n + l[field], 0);
  return { ...state, locations, onHand: sum('onHand'), reserved: sum('reserved'), sold: sum('sold'), lent: sum('lent') };
}

const holdsAnything = (l: LocationStock): boolean => l.onHand !== 0 || l.reserved !== 0 || l.sold !== 0 || l.lent !== 0;
