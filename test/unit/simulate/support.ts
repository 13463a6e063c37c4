import { expect } from 'vitest';
import { fitMedianP99, withMean } from '../../../simulate/lognormal';
import type { Sku } from '../../../simulate/sku';
import type { Scenario, ServiceProfile, SkuSpec } from '../../../simulate/params';
import { FAILOVER, REGIONS } from '../../../simulate/regions';
import { scenario } from '../../../simulate/scenarios';
import { lognormalService } from '../../../simulate/serviceTime';

/** 500 commands/s with the calibrated tail shape: the headline profile without reading the bench files. */
/** A batch of n costs (3 + 0.5·n) / 3.5 commands: the shape bench:batch-cost measures, in round numbers. */
export const PROFILE: ServiceProfile = { name: 'test 500/s', command: lognormalService(withMean(fitMedianP99(1, 5), 2)), batch: { aMs: 3, bMs: 0.5 }, expiryMs: 0.5, source: 'test' };

export type SmallSale = {
  seed: number;
  shards: number;
  stock: number;
  buyers: number;
  depth: number;
  ttlMs: number;
  completeShare: number;
  outage: { atMs: number; durationMs: number; location: number } | null;
  /** Group commit's bound B (1 or absent: off), over 4 isolates so that small crowds batch too. */
  batchMax?: number;
  /** Where group commit groups: 'worker' (the retired lanes, or absent) or 'object' (the product's rule). */
  where?: 'object' | 'worker';
  /** Transfer requests a borrowing walk keeps out at once (1 or absent: one sibling after another). */
  walkFanout?: number;
  /** The four regions with the edge's failover (regions.ts); absent: one region, no failover. */
  regions?: boolean;
};

/**
 * A sale small enough to run hundreds of times: a burst of a few hundred buyers within two
 * seconds, short holds so expiries return units while watchers still poll, fast retries.
 */
export function smallSale(c: SmallSale): Scenario {
  const sku: SkuSpec = { stock: c.stock, shards: c.shards, weight: 1, limitPerCustomer: 2 };
  const base = scenario('small sale', PROFILE, [sku], c.seed);
  return {
    ...base,
    buyers: {
      ...base.buyers,
      count: c.buyers,
      arrival: { rampMs: 200, decayMs: 500, windowMs: 2000 },
      completeShare: c.completeShare,
      checkout: fitMedianP99(500, 4000),
      watchShare: 0.5,
      watchEveryMs: 1000,
      watchJitterMs: 500,
      watchForMs: 30_000,
    },
    admission: { ...base.admission, depth: c.depth, retryAfterOverloadedMs: 100, retryAfterUnavailableMs: 500 },
    holds: { ...base.holds, ttlMs: c.ttlMs },
    readModel: { flushEveryMs: 1000, propagationMaxMs: 1000 },
    outage: c.outage,
    groupCommit: { max: c.batchMax ?? 1, where: c.where ?? 'worker', isolates: 4, releaseOnPark: false },
    walkFanout: c.walkFanout ?? 1,
    ...(c.regions ? { regions: REGIONS, locations: REGIONS.names.length, failover: FAILOVER } : {}),
  };
}

/** A SKU after its sale settled: never oversold nor stranded, units conserved, nothing in transit, pending, held, walking or parked. */
export function expectSettled(sku: Sku): void {
  expect(sku.oversold).toBe(0);
  expect(sku.stranded).toBe(0);
  expect(sku.conserved()).toBe(true);
  expect(sku.inTransit).toBe(0);
  expect(sku.pending).toBe(0);
  expect(sku.reserved).toBe(0);
  expect(sku.shards.every((s) => s.walk === null && s.parked.length === 0)).toBe(true);
}
