import { err, ok, type Result } from '../core/result';
import type { SkuError } from './errors';
import type { SkuCounters } from './view';
import { DEFAULT_LOCATION } from './locations';

/*
 * Setting a sharded SKU's stock: the rules of its layout, and the plan that moves the stock toward
 * the wanted figure by relative adjustments, one per shard. The edge reads the shards and applies
 * the plan (`src/api/shards.ts`); the plan itself is decided here, without I/O.
 */

/** A shard taken out of the layout would strand the units its holds give back: shards grow, never shrink. */
export function layoutRefusal(current: number, wanted: number): SkuError | null {
  return wanted < current ? { code: 'invalid_command', reason: `shards can grow but not shrink (it is ${current})` } : null;
}

export type StockTarget = { onHand: number; limitPerCustomer?: number | null | undefined; expectedVersion?: number | undefined };
/**
 * A shard as read for planning: its counters and the units it lent net of those it borrowed (in
 * all, and per location); null when it has no stock yet.
 */
export type ShardStock = { counters: SkuCounters; lent: number; lentAt?: Record<string, number> | undefined } | null;
export type ShardAdjust = { delta: number; limitPerCustomer: number | null; shards: number };

/**
 * The adjustment of each shard (shard 0 first) that takes the SKU's stock to `target.onHand` under
 * a layout of `shards`; `in_flight` when units on their way between shards must land first. The
 * stock is the sum over the shards of onHand plus units lent net of units borrowed, a figure loans
 * do not move, so the plan is exact however the reads interleave with them. `expectedVersion` is
 * the summed version.
 */
export function planStock(target: StockTarget, whole: readonly ShardStock[], shards: number, location?: string): Result<ShardAdjust[] | 'in_flight', SkuError> {
  const fed = location === undefined ? undefined : whole[0]?.counters.locations?.find((l) => l.location === location)?.fed;
  // Checked before any shard moves: a plan refused by shard 0 alone, applied last, would be half-applied.
  if (fed && location !== undefined) return err({ code: 'location_fed', location, warehouse: fed.warehouse });
  const parts = location === undefined ? whole : whole.map((p) => (p ? atLocation(p, location) : null));
  const counters = parts.map((p) => p?.counters ?? null);
  const sum = (f: (c: SkuCounters) => number) => counters.reduce((n, c) => n + (c ? f(c) : 0), 0);
  const version = sum((c) => c.version);
  if (target.expectedVersion !== undefined && target.expectedVersion !== version) {
    return err({ code: 'version_conflict', currentVersion: version, expectedVersion: target.expectedVersion });
  }
  const committed = sum((c) => c.reserved + c.sold);
  if (target.onHand < committed) return err({ code: 'below_committed', committed });
  const limit = target.limitPerCustomer === undefined ? (counters[0]?.limitPerCustomer ?? null) : target.limitPerCustomer;
  const layout = counters[0]?.shards ?? 1;
  // A customer's units live on their home shard; moving homes while units are out would let the
  // limit see only part of them.
  if (shards !== layout && limit !== null && committed > 0) {
    return err({ code: 'invalid_command', reason: 'with a per-customer limit, the shard count changes only while nothing is held or sold' });
  }
  const stock = parts.reduce((n, p) => n + (p ? p.counters.onHand + p.lent : 0), 0);
  const deltas = spread(target.onHand - stock, counters.map((c) => c?.available ?? 0));
  return deltas === null ? ok('in_flight') : ok(deltas.map((delta) => ({ delta, limitPerCustomer: limit, shards })));
}

/** Units added spread evenly; units removed taken from the free ones. Null: some are on their way between shards. */
export function spread(delta: number, free: readonly number[]): number[] | null {
  const n = free.length;
  if (delta >= 0) return free.map((_, k) => Math.floor(delta / n) + (k < delta % n ? 1 : 0));
  let left = -delta;
  const taken = free.map((f) => {
    const take = Math.min(f, left);
    left -= take;
    return -take;
  });
  return left > 0 ? null : taken;
}

/**
 * A shard's stock of one location, shaped as a whole shard's (the version stays the shard's): the
 * plan for a location is the plan for a SKU holding that location only. A shard that names no
 * location holds the implicit `default`.
 */
function atLocation(part: NonNullable<ShardStock>, location: string): NonNullable<ShardStock> {
  const { counters } = part;
  const named = counters.locations?.find((l) => l.location === location);
  const implicit = counters.locations === undefined && location === DEFAULT_LOCATION;
  const at = named ?? (implicit ? counters : { onHand: 0, reserved: 0, sold: 0, available: 0 });
  const lent = part.lentAt?.[location] ?? (implicit ? part.lent : 0);
  return { counters: { ...counters, onHand: at.onHand, reserved: at.reserved, sold: at.sold, available: at.available }, lent };
}
