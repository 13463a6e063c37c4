import { honest, type Honest, type Window } from './attempts';
import type { Calibration } from './calibration';
import type { FailoverPolicy, Outage, Scenario } from './params';
import { FAILOVER, PEAK_OUTAGE, REGIONS, SELL_OUT_OUTAGE } from './regions';
import { runSale, summarize, type SaleResult } from './sale';
import { GROUP_COMMIT_MAX, hotSku } from './scenarios';
import { ALL, tailScenario, type Mechanism } from './tailStudy';

/**
 * The regional outage, honestly (`npm run simulate:region`, issue 25): the hot SKU over shards in
 * four regions, buyers at edges in those regions, the edge's failover, one region lost at the
 * peak; every figure from honest availability, with and without the outage, the same windows.
 */
/** `walkFanout`: siblings believed to hold units a walk asks at once (the scenario's default, 1, when absent). */
export type Protocol = { readonly name: string; readonly batchMax: number; readonly mechanism: Mechanism | null; readonly homing: FailoverPolicy['homing']; readonly walkFanout?: number };

const TAIL: Mechanism = { ...ALL, name: 'all, grouped in the object', groupCommit: { ...ALL.groupCommit, where: 'object' } };

/**
 * What the product runs today: group commit in the object (B = 64, ADR 0021), its sojourn admission
 * rule, and (ADR 0023) walked buyers decided in one group, levels by gossip, siblings believed to
 * hold units asked 4 at a time and those believed empty all at once, a sibling's lend requests in
 * one transaction, its own region first. (The lane
 * released on park is the retired Worker-side lanes' option: nothing to build with grouping in the object.)
 */
const PRODUCT: Mechanism = {
  name: 'the product today',
  admission: { rule: 'sojourn' },
  groupCommit: { where: 'object' },
  borrowing: { settle: 'batch', emptyFanout: true, hintGossip: true, siblingBatch: true, near: 'region' },
};
/** The product before ADR 0023: each walked buyer decided alone, no gossip, one sibling asked at a time, a transaction per lend. */
const BEFORE_0023: Mechanism = { name: 'the product before ADR 0023', admission: { rule: 'sojourn' }, groupCommit: { where: 'object' } };

/**
 * The protocol before group commit (B = 1, depth D: the model's default); the product's today; the
 * tail study's every change with group commit in the object (B = 64, sojourn admission), cheap to
 * reuse; and that with buyers homed in their edge's region (a what-if: the limit is then exact per
 * region only).
 */
export const PROTOCOLS: readonly Protocol[] = [
  { name: 'before group commit (B = 1, depth D)', batchMax: 1, mechanism: null, homing: 'customer' },
  { name: 'the product before ADR 0023 (B = 64 in the object, sojourn)', batchMax: GROUP_COMMIT_MAX, mechanism: BEFORE_0023, homing: 'customer' },
  { name: 'the product today (ADR 0023: walks fan out, gossip, batched)', batchMax: GROUP_COMMIT_MAX, mechanism: PRODUCT, homing: 'customer', walkFanout: 4 },
  { name: 'tail study, B = 64 in the object', batchMax: GROUP_COMMIT_MAX, mechanism: TAIL, homing: 'customer' },
  { name: 'tail study, homed in the edge region', batchMax: GROUP_COMMIT_MAX, mechanism: TAIL, homing: 'edge-region' },
];

export type RegionGrid = { readonly shards: readonly number[]; readonly seeds: readonly number[]; readonly outages: readonly (Outage | null)[] };
export const REGION_GRID: RegionGrid = { shards: [64], seeds: [1, 2], outages: [null, PEAK_OUTAGE, SELL_OUT_OUTAGE] };

export type RegionRun = {
  readonly protocol: string;
  readonly shards: number;
  readonly seed: number;
  /** Null: no outage (its windows are the peak outage's, for comparison). */
  readonly outage: Outage | null;
  readonly result: SaleResult;
  /** Reserve attempts first sent while the region was lost, and all the others. */
  readonly during: Honest;
  readonly outside: Honest;
};

/** The hot SKU of `protocol` over `shards` in the four regions, with the edge's failover, losing `outage`'s region (or none). */
export function regionScenario(calibration: Calibration, protocol: Protocol, shards: number, outage: Outage | null, seed = 1): Scenario {
  const base = protocol.mechanism ? tailScenario(calibration, shards, protocol.batchMax, protocol.mechanism, seed) : hotSku(calibration.headline, shards, undefined, seed, protocol.batchMax);
  const when = outage ? `${REGIONS.names[outage.location]} lost at ${outage.atMs / 1000} s for ${outage.durationMs / 1000} s` : 'no outage';
  return { ...base, name: `four regions, ${protocol.name}, ${when}`, regions: REGIONS, locations: REGIONS.names.length, failover: { ...FAILOVER, homing: protocol.homing }, outage, walkFanout: protocol.walkFanout ?? base.walkFanout };
}

export function windowOf(outage: Outage | null): { fromMs: number; toMs: number } {
  const o = outage ?? PEAK_OUTAGE;
  return { fromMs: o.atMs, toMs: o.atMs + o.durationMs };
}

export function runRegion(calibration: Calibration, protocol: Protocol, shards: number, outage: Outage | null, seed = 1): RegionRun {
  const scenario = regionScenario(calibration, protocol, shards, outage, seed);
  const { world, skus } = runSale(scenario);
  const w = windowOf(outage);
  const during: Window = { ...w, inside: true };
  const outside: Window = { ...w, inside: false };
  return {
    protocol: protocol.name,
    shards,
    seed,
    outage,
    result: summarize(scenario, world, skus),
    during: honest(world.metrics.attempts, 'reserve', during),
    outside: honest(world.metrics.attempts, 'reserve', outside),
  };
}

export function runRegionStudy(calibration: Calibration, grid: RegionGrid, progress: (step: string) => void): RegionRun[] {
  return PROTOCOLS.flatMap((protocol) =>
    grid.shards.flatMap((shards) =>
      grid.seeds.flatMap((seed) =>
        grid.outages.map((outage) => {
          progress(`${shards} shards in four regions, ${protocol.name}, ${outage ? `outage at ${outage.atMs / 1000} s` : 'no outage'}, seed ${seed}`);
          return runRegion(calibration, protocol, shards, outage, seed);
        }),
      ),
    ),
  );
}
