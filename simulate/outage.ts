import type { Outage } from './params';
import type { Sku } from './sku';
import type { World } from './world';

/** Every shard in the failed location stops at `atMs` and restarts elsewhere `durationMs` later. */
export function scheduleOutage(world: World, skus: readonly Sku[], outage: Outage): void {
  const failed = skus.flatMap((sku) => sku.shards).filter((shard) => shard.location === outage.location);
  world.clock.at(outage.atMs, () => failed.forEach((shard) => shard.fail()));
  world.clock.at(outage.atMs + outage.durationMs, () => {
    world.metrics.returnedUnits = failed.reduce((sum, shard) => sum + shard.sellable + shard.pending, 0);
    failed.forEach((shard) => shard.restart());
  });
}
