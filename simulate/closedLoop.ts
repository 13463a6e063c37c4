import { percentile } from './metrics';
import { batchSizes } from './objectGroup';
import type { Scenario } from './params';
import { Sku } from './sku';
import { Isolates } from './groupCommit';
import { World } from './world';

export type ClosedLoopResult = {
  readonly connections: number;
  readonly requests: number;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  /** Reserves per object call (group commit; 1 without it). */
  readonly meanBatch: number;
};

/**
 * The benchmark's shape instead of a crowd: `connections` clients each send a reservation as soon
 * as the previous one is answered, for `seconds`. One distinct customer per request (no limit
 * applies), ample stock. Used to replay this machine's hot-SKU benchmark and to measure how
 * throughput scales with shards.
 */
export function closedLoop(scenario: Scenario, connections: number, seconds: number): ClosedLoopResult {
  const world = new World(scenario);
  const sku = new Sku(world, scenario.skus[0]!);
  const endMs = seconds * 1000;
  const latencies: number[] = [];
  const isolates = new Isolates(world);
  let next = 0;
  const send = () => {
    const customer = next++;
    const sentAt = world.now;
    isolates.call(sku.route(customer), { kind: 'reserve', key: customer, customer, qty: 1 }, () => {
      if (world.now > endMs) return;
      latencies.push(world.now - sentAt);
      send();
    });
  };
  for (let c = 0; c < connections; c++) send();
  world.clock.run(endMs);
  return { connections, requests: latencies.length, rps: latencies.length / seconds, p50: percentile(latencies, 0.5) ?? 0, p99: percentile(latencies, 0.99) ?? 0, meanBatch: batchSizes(world).mean };
}
