import { err } from '../domain/core/result';
import { homeShard, shardOfReservation, streamOf } from '../domain/sku';
import type { Overloaded } from './admission';
import type { Outcome } from './outcome';

/**
 * Which SKU stream (so which object) a request goes to: the Worker's routes and the checkout coordinator both send
 * reservations to the customer's home shard and reach a reservation on the shard its id names.
 * Buyers' requests name the SKU only; the layout is learnt from the shards themselves (a reserve
 * that reaches a shard other than the customer's home is answered `wrong_shard` with the layout),
 * so an unsharded SKU costs nothing more than before.
 */

/** The layout each SKU was last seen with in this isolate; a SKU never seen is taken as unsharded. */
const layouts = new Map<string, number>();
const MAX_LAYOUTS_KEPT = 10_000;
/** A layout change answers wrong_shard from shards not yet told; a reserve follows it this often. */
const MAX_REROUTES = 3;

/** Come back in a second: the layout is still changing. */
export const rerouteLater: Overloaded = { code: 'overloaded', retryAfterSeconds: 1 };

/** How many shards this isolate last saw the SKU split over (1 until a shard said otherwise). */
export const knownShards = (sku: string): number => layouts.get(sku) ?? 1;

function rememberLayout(sku: string, shards: number): void {
  if (layouts.size >= MAX_LAYOUTS_KEPT && !layouts.has(sku)) layouts.delete(layouts.keys().next().value!);
  layouts.set(sku, shards);
}

/** Runs a reserve on the customer's home shard, following the layout the shards answer with. */
export async function onHomeShard<T>(
  sku: string,
  customerId: string,
  reserve: (stream: string) => Promise<Outcome<T>>,
): Promise<Outcome<T>> {
  for (let i = 0; i < MAX_REROUTES; i++) {
    const outcome = await reserve(streamOf(sku, homeShard(customerId, knownShards(sku))));
    if (outcome.ok || outcome.error.code !== 'wrong_shard') return outcome;
    rememberLayout(sku, outcome.error.shards);
  }
  return err(rerouteLater);
}

/** The stream (and object) holding a reservation: its id names its shard. */
export const reservationStream = (sku: string, reservationId: string): string => streamOf(sku, shardOfReservation(reservationId));
