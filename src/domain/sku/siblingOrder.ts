import { regionOfShard, type ShardRegion } from './shardRegions';
import { shardOf, siblingsOf } from './shards';

/*
 * The order a shard's walk asks its siblings in (ADR 0023), after what it believes they hold:
 * those of its own region first, then round the ring from the next shard, so that the walks of
 * different shards start apart.
 */

/** The siblings from the one after `stream` round to the one before it: walks of different shards start apart. */
export function ringOf(stream: string, shards: number): string[] {
  const all = siblingsOf(stream, shards);
  const after = all.findIndex((s) => shardOf(s) > shardOf(stream));
  return after <= 0 ? all : [...all.slice(after), ...all.slice(0, after)];
}

/** Whether a sibling lives in `stream`'s region (a walk asks those first among siblings believed to hold as much); never, with no regions. */
export function sameRegionAs(stream: string, regions: readonly ShardRegion[] | null): (sibling: string) => boolean {
  if (!regions) return () => false;
  const here = regionOfShard(regions, shardOf(stream));
  return (sibling) => regionOfShard(regions, shardOf(sibling)) === here;
}
