import { z } from 'zod';
import { SKU_PATTERN } from './limits';
import type { ShardRegions } from './shardRegions';

/**
 * A hot SKU's stock may be split over shards: shard 0 is the SKU's own stream and object (so a
 * SKU that was never sharded, or was sharded later, keeps its history), shard k ≥ 1 is the stream
 * and object `SKU~k`. `~` is outside the SKU alphabet, so a shard's stream never names a SKU.
 * Each shard is the single writer of its slice: its own log, versions, outbox and view.
 */
export const MAX_SHARDS = 64;
const SEPARATOR = '~';

export const ShardsSchema = z.int().min(1).max(MAX_SHARDS);

/** A SKU or one of its shards: what an event's `sku` names, the key of its log and its object. */
export const StreamIdSchema = z
  .string()
  .regex(
    new RegExp(`^${SKU_PATTERN.source.slice(1, -1)}(?:${SEPARATOR}[1-9][0-9]?)?$`),
    'must be a SKU, or SKU~k for its shard k (1..63)',
  )
  .refine((s) => shardOf(s) < MAX_SHARDS, 'shard must be below 64');

export const streamOf = (sku: string, shard: number): string => (shard === 0 ? sku : `${sku}${SEPARATOR}${shard}`);

/** The SKU a stream belongs to: itself, or the SKU a shard's stream is part of. */
export const skuOf = (stream: string): string => stream.split(SEPARATOR)[0]!;

export const shardOf = (stream: string): number => Number(stream.split(SEPARATOR)[1] ?? 0);

/** Every stream of a SKU split over `shards`, shard 0 first. */
export const streamsOf = (sku: string, shards: number): string[] => Array.from({ length: shards }, (_, k) => streamOf(sku, k));

/** The other shards of the stream's SKU under a layout of `shards`. */
export const siblingsOf = (stream: string, shards: number): string[] =>
  streamsOf(skuOf(stream), shards).filter((s) => s !== stream);

/**
 * Where a customer's reservations of a sharded SKU live: a stable hash (FNV-1a) of the customer
 * id. Every reservation of a customer lands on one shard, so that shard alone sees all the units
 * the customer holds or bought, and `limitPerCustomer` is checked exactly, with no cross-shard
 * call, as on an unsharded SKU.
 */
export function homeShard(customerId: string, shards: number): number {
  if (shards <= 1) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < customerId.length; i++) {
    hash ^= customerId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}

/**
 * A reservation id names the shard that holds it (`res_…_k`; none for shard 0), so completing,
 * cancelling or reading it reaches its shard directly, whatever the layout is by then.
 */
export const reservationSuffix = (shard: number): string => (shard === 0 ? '' : `_${shard}`);

export function shardOfReservation(reservationId: string): number {
  const match = /_([1-9][0-9]?)$/.exec(reservationId);
  return match ? Number(match[1]) : 0;
}

/** Only the customer's home shard sees all their units: a reserve anywhere else would let the limit leak. */
export function misrouted(
  state: { sku: string | null; shards: number; shardRegions?: ShardRegions | null },
  customerId: string,
): { code: 'wrong_shard'; shards: number; shardRegions?: ShardRegions } | null {
  const { sku, shards, shardRegions } = state;
  if (sku === null || homeShard(customerId, shards) === shardOf(sku)) return null;
  // The regions too: the edge needs them to re-home a buyer whose home is unreachable (ADR 0022).
  return { code: 'wrong_shard', shards, ...(shardRegions ? { shardRegions } : {}) };
}
