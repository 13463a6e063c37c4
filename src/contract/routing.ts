import { err } from '../domain/core/result';
import { homeShard, regionOfShard, rehomeCandidates, rehomeShard, shardOfReservation, streamOf, type ShardRegions } from '../domain/sku';
import { NoAnswerInTime, withinBound } from './withinBound';
import { isOpen, shardAnswered, skipShard, tripShard } from './shardBreaker';
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
/** The regions its shards live in, when a shard said (with the layout). */
const layoutRegions = new Map<string, ShardRegions>();
const MAX_LAYOUTS_KEPT = 10_000;
/** A layout change answers wrong_shard from shards not yet told; a reserve follows it this often. */
const MAX_REROUTES = 3;

/** Come back in a second: the layout is still changing. */
export const rerouteLater: Overloaded = { code: 'overloaded', retryAfterSeconds: 1 };

/** How many shards this isolate last saw the SKU split over (1 until a shard said otherwise). */
export const knownShards = (sku: string): number => layouts.get(sku) ?? 1;

function rememberLayout(sku: string, shards: number, regions: ShardRegions | undefined): void {
  if (layouts.size >= MAX_LAYOUTS_KEPT && !layouts.has(sku)) {
    const oldest = layouts.keys().next().value!;
    layouts.delete(oldest);
    layoutRegions.delete(oldest);
  }
  layouts.set(sku, shards);
  if (regions) layoutRegions.set(sku, regions);
}

/**
 * Failover at the edge (ADR 0022): a home shard that throws or does not answer within `afterMs`
 * opens its breaker and the buyer goes to a sibling in another region (`rehomeShard`), told
 * `rehomedFrom` so it serves a customer whose home it is not. `regions`: the configured default,
 * for a layout whose shards have not said theirs.
 */
export type Failover<T = unknown> = {
  afterMs: number;
  regions: ShardRegions;
  /**
   * A retry's stored answer at the sibling it would have been re-homed to, if any: the first
   * attempt may have been served there while the home was down, and the home, back now, has no
   * record of it. Asked on retries only (the client marks them `no-cache`).
   */
  replayAt?: ((stream: string) => Promise<Outcome<T> | null>) | undefined;
};

/** A reserve sent to `stream`; `rehomedFrom` names the unreachable home it stands in for. */
export type SendReserve<T> = (stream: string, rehomedFrom?: number) => Promise<Outcome<T>>;

/** Runs a reserve on the customer's home shard, following the layout the shards answer with (and failing over when given). */
export async function onHomeShard<T>(sku: string, customerId: string, reserve: SendReserve<T>, failover?: Failover<T>): Promise<Outcome<T>> {
  for (let i = 0; i < MAX_REROUTES; i++) {
    const shards = knownShards(sku);
    const home = homeShard(customerId, shards);
    const outcome = !failover || failover.afterMs === 0
      ? await reserve(streamOf(sku, home))
      : shards > 1
        ? await homeOrSibling(sku, customerId, home, shards, reserve, failover)
        // Unsharded, or a layout not learnt yet (a new isolate): no sibling known, but never an
        // unbounded wait on a shard 0 that hangs; loose, so a busy unsharded SKU answers as ever.
        : await withinBound(reserve(streamOf(sku, home)), UNKNOWN_LAYOUT_BOUNDS * failover.afterMs).catch(noAnswerInTime);
    if (outcome.ok || outcome.error.code !== 'wrong_shard') return outcome;
    rememberLayout(sku, outcome.error.shards, outcome.error.shardRegions);
  }
  return err(rerouteLater);
}

async function homeOrSibling<T>(sku: string, customerId: string, home: number, shards: number, reserve: SendReserve<T>, failover: Failover<T>): Promise<Outcome<T>> {
  const homeStream = streamOf(sku, home);
  const regions = layoutRegions.get(sku) ?? failover.regions;
  if (failover.replayAt) {
    // The siblings a first attempt could have been re-homed to, most likely first (rendezvous order).
    const replays = rehomeCandidates(customerId, home, shards, regions).slice(0, REPLAY_SIBLINGS).map((k) =>
      withinBound(failover.replayAt!(streamOf(sku, k)), failover.afterMs).catch(() => null));
    const stored = (await Promise.all(replays)).find((r) => r !== null);
    if (stored) return stored;
  }
  if (!skipShard(homeStream, Date.now())) {
    try {
      const outcome = await withinBound(reserve(homeStream), failover.afterMs);
      shardAnswered(homeStream);
      return outcome;
    } catch (error) {
      // Busy, by the runtime's word: not lost. Come back later; nothing is re-homed.
      if ((error as { overloaded?: unknown }).overloaded === true) return err(nowhereNow);
      tripShard(homeStream, Date.now());
      // No answer in time: the home may still commit it, so sending the buyer elsewhere could hold
      // two reservations under one key. This buyer comes back later; the ones after it are re-homed.
      if (error instanceof NoAnswerInTime) return err(nowhereNow);
    }
  }
  // A region with any shard found unreachable lately is suspect as a whole: no buyer is sent into it.
  const now = Date.now();
  const suspect = new Set(Array.from({ length: shards }, (_, k) => k).filter((k) => isOpen(streamOf(sku, k), now)).map((k) => regionOfShard(regions, k)));
  const target = rehomeShard(customerId, home, shards, regions, (k) => suspect.has(regionOfShard(regions, k)));
  // Every other region is suspect too (as this isolate saw them): come back later.
  if (target === null) return err(nowhereNow);
  const targetStream = streamOf(sku, target);
  try {
    // Bounded more loosely than the home: a sibling slow to answer is mostly busy (walking its own
    // siblings for units), not lost, and taking it for lost would cascade the outage onto a live region.
    const outcome = await withinBound(reserve(targetStream, home), 2 * failover.afterMs);
    shardAnswered(targetStream);
    return outcome;
  } catch (error) {
    // Only a throw says lost: a sibling slow past the bound is busy (and may still commit).
    if (!(error instanceof NoAnswerInTime) && (error as { overloaded?: unknown }).overloaded !== true) tripShard(targetStream, Date.now());
    return err(nowhereNow);
  }
}

/** No shard within reach answered: come back in a second (a 503 with Retry-After, never a 500). */
const nowhereNow = { code: 'overloaded', retryAfterSeconds: 1 } as const;
/** How many failover bounds a reserve may take where no sibling is known (7.5 s by default, under the client's 10 s). */
const UNKNOWN_LAYOUT_BOUNDS = 5;
/** A retry asks this many siblings for its stored answer: the likeliest first attempts' targets. */
const REPLAY_SIBLINGS = 2;

function noAnswerInTime(error: unknown): Outcome<never> {
  if (error instanceof NoAnswerInTime) return err(nowhereNow);
  throw error;
}

/** The stream (and object) holding a reservation: its id names its shard. */
export const reservationStream = (sku: string, reservationId: string): string => streamOf(sku, shardOfReservation(reservationId));
