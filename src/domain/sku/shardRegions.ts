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

/**
 * What a sibling does for a customer re-homed from an unreachable home (ADR 0022): `relaxed` (the
 * default) serves them, counting the limit on what it holds, so they may hold one limit more;
 * `strict` refuses them (503, come back when the home answers) whenever the SKU has a limit.
 */
export const FailoverLimitsSchema = z.enum(['relaxed', 'strict']);
export type FailoverLimits = z.infer<typeof FailoverLimitsSchema>;
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

/**
 * Where a customer's reserve goes while their home shard is unreachable (ADR 0022): the shard
 * outside the home's region, not itself excluded (`unreachable`: a region found lost), that ranks
 * first for this customer by rendezvous hashing. So a lost shard's buyers spread over the
 * survivors, and a customer's target changes only when that target itself is excluded: a retry
 * lands where the first attempt did, whatever else this or another isolate has seen. Null when
 * there is none. Unknown regions (`null`): any other shard.
 */
export function rehomeShard(customerId: string, home: number, shards: number, regions: readonly ShardRegion[] | null, unreachable: (shard: number) => boolean): number | null {
  return rehomeCandidates(customerId, home, shards, regions).find((k) => !unreachable(k)) ?? null;
}

/** Every shard outside the home's region, in this customer's rendezvous order (the likeliest target first). */
export function rehomeCandidates(customerId: string, home: number, shards: number, regions: readonly ShardRegion[] | null): number[] {
  const lost = regions === null ? null : regionOfShard(regions, home);
  const candidates: number[] = [];
  for (let k = 0; k < shards; k++) if (k !== home && (lost === null || regionOfShard(regions!, k) !== lost)) candidates.push(k);
  const score = (k: number) => spreadHash(`${customerId}#${k}`);
  return candidates.sort((a, b) => score(b) - score(a) || a - b);
}

/** FNV-1a of the key with a salt: independent of `homeShard`'s hash. */
function spreadHash(key: string): number {
  let hash = 0x811c9dc5;
  for (const ch of `rehome:${key}`) hash = Math.imul(hash ^ ch.charCodeAt(0), 0x01000193);
  return hash >>> 0;
}
