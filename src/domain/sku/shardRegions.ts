import { z } from 'zod';

/**
 * Where a sharded SKU's shards live (issue 25): a list of Durable Object location hints, shard k in
 * `regions[k mod R]`, so neighbouring shards sit in different regions and losing one region leaves
 * most of the SKU's shards, and their stock, reachable. A hint only counts when the object is first
 * created; a placed shard never moves, so a new list must keep every existing shard where it is.
 */

/** The hints Cloudflare documents for `getByName(name, { locationHint })`. */
export const LOCATION_HINTS = ['wnam', 'enam', 'sam', 'weur', 'eeur', 'apac', 'apac-ne', 'apac-se', 'oc', 'afr', 'me'] as const;
export const ShardRegionSchema = z.enum(LOCATION_HINTS);
export type ShardRegion = z.infer<typeof ShardRegionSchema>;

export const MAX_SHARD_REGIONS = 8;
export const ShardRegionsSchema = z
  .array(ShardRegionSchema)
  .min(1)
  .max(MAX_SHARD_REGIONS)
  .refine((regions) => new Set(regions).size === regions.length, 'each region at most once');
export type ShardRegions = z.infer<typeof ShardRegionsSchema>;

/** The region shard `shard` lives in under `regions`. */
export const regionOfShard = (regions: readonly ShardRegion[], shard: number): ShardRegion => regions[shard % regions.length]!;

/**
 * Why `next` cannot replace `current` for a SKU whose shards 0..placed-1 exist, or null: a shard
 * already placed would be named in another region than the one it lives in. A layout whose
 * regions were never recorded (sharded before regions existed) takes any list.
 */
export function regionsRefusal(current: readonly ShardRegion[] | null, placed: number, next: readonly ShardRegion[]): string | null {
  if (current === null) return null;
  for (let k = 0; k < placed; k++) {
    const was = regionOfShard(current, k);
    if (regionOfShard(next, k) !== was) return `shard ${k} lives in ${was}: a placed shard cannot move`;
  }
  return null;
}
