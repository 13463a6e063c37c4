import type { BenchmarkPoint, Calibration } from './calibration';
import { closedLoop, type ClosedLoopResult } from './closedLoop';
import { runGroupCommitStudy, type GroupCommitStudy } from './groupCommitStudy';
import type { ServiceProfile } from './params';
import { simulateSale, type SaleResult } from './sale';
import { runWalkFanoutStudy, SIMULATE_GRID, type WalkFanoutStudy } from './walkFanoutStudy';
import { benchmarkReplay, catalogue, DEPTHS, hotSku, outage, P99_TARGET_MS, saturation, SHARD_COUNTS, type CataloguePolicy } from './scenarios';

export type CalibrationPoint = { readonly measured: BenchmarkPoint; readonly model: ClosedLoopResult };
export type ScalingPoint = { readonly shards: number; readonly rps: number; readonly efficiency: number };
export type Sensitivity = { readonly profile: ServiceProfile; readonly runs: readonly SaleResult[]; readonly minimalShards: number | null };

export type Study = {
  readonly calibrationCheck: readonly CalibrationPoint[];
  readonly scaling: readonly ScalingPoint[];
  /** (a) at the headline profile and the default depth, every shard count. */
  readonly hotSku: readonly SaleResult[];
  readonly minimalShards: number | null;
  /** The shard count the other scenarios run at: the minimal one, or the most explored. */
  readonly recommendedShards: number;
  readonly sensitivity: readonly Sensitivity[];
  /** The admission depths explored one shard count below the recommended one: can a tighter queue save shards? */
  readonly depthShards: number;
  readonly depths: readonly SaleResult[];
  readonly catalogue: readonly SaleResult[];
  readonly outage: SaleResult;
  /** Group commit on (ADR 0021): the same hot SKU, and its throughput. */
  readonly groupCommit: GroupCommitStudy;
  /** Walks asking several siblings at once, group commit off and on. */
  readonly walkFanout: WalkFanoutStudy;
};

const CALIBRATION_SECONDS = 8;
const SCALING_SECONDS = 2;
const SCALING_CONNECTIONS_PER_SHARD = 32;
const CATALOGUE_POLICIES: readonly CataloguePolicy[] = ['one shard each', 'eight shards each', 'shards by demand'];

export const meetsTarget = (r: SaleResult): boolean => r.p99 !== null && r.p99 < P99_TARGET_MS && r.oversold === 0 && r.stranded === 0;

export function minimalShards(runs: readonly SaleResult[]): number | null {
  const meeting = runs.filter(meetsTarget).map((r) => Number(r.shards));
  return meeting.length === 0 ? null : Math.min(...meeting);
}

/** Every experiment `npm run simulate` reports, in the order it prints them. Pure: no I/O but `progress`. */
export function runStudy(calibration: Calibration, progress: (step: string) => void): Study {
  progress('calibration check');
  const calibrationCheck = calibration.benchmark.map((measured) => ({
    measured,
    model: closedLoop(benchmarkReplay(calibration.machine, calibration.loopbackRttMs), measured.connections, CALIBRATION_SECONDS),
  }));

  progress('throughput scaling');
  const saturated = [1, 8, 32, 64].map((shards) => ({ shards, rps: closedLoop(saturation(calibration.headline, shards), shards * SCALING_CONNECTIONS_PER_SHARD, SCALING_SECONDS).rps }));
  const one = saturated[0]!.rps;
  const scaling = saturated.map((s) => ({ ...s, efficiency: s.rps / (s.shards * one) }));

  const hot = SHARD_COUNTS.map((shards) => {
    progress(`hot SKU, ${calibration.headline.name}, ${shards} shards`);
    return simulateSale(hotSku(calibration.headline, shards));
  });
  const minimal = minimalShards(hot);
  const recommended = minimal ?? SHARD_COUNTS.at(-1)!;

  // Other profiles: from the most shards down, stopping at the first miss (fewer cannot do better).
  const sensitivity = calibration.profiles
    .filter((p) => p !== calibration.headline)
    .map((profile) => {
      const runs: SaleResult[] = [];
      for (const shards of [...SHARD_COUNTS].reverse().filter((n) => n >= 16)) {
        progress(`hot SKU, ${profile.name}, ${shards} shards`);
        const run = simulateSale(hotSku(profile, shards));
        runs.push(run);
        if (!meetsTarget(run)) break;
      }
      return { profile, runs, minimalShards: minimalShards(runs) };
    });

  const depthShards = SHARD_COUNTS[SHARD_COUNTS.indexOf(recommended as (typeof SHARD_COUNTS)[number]) - 1] ?? recommended;
  const depths = DEPTHS.map((depth) => {
    const same = hot.find((r) => Number(r.shards) === depthShards && r.depth === (Number.isFinite(depth) ? depth : null));
    if (same) return same;
    progress(`hot SKU, ${depthShards} shards, queue depth ${depth}`);
    return simulateSale(hotSku(calibration.headline, depthShards, depth));
  });

  const catalogueRuns = CATALOGUE_POLICIES.map((policy) => {
    progress(`catalogue, ${policy}`);
    return simulateSale(catalogue(calibration.headline, policy));
  });

  progress(`regional outage, ${recommended} shards`);
  const outageRun = simulateSale(outage(calibration.headline, recommended));

  const groupCommit = runGroupCommitStudy(calibration, progress);
  // Table (e)'s B rows run the scenario default (the retired lanes): table (d)'s sales stand in only when they group the same way.
  const sameLanes = groupCommit.where === hotSku(calibration.headline, 1).groupCommit.where;
  const known = [...hot.map((result) => ({ batchMax: 1, result })), ...(sameLanes ? groupCommit.hotSku.map((result) => ({ batchMax: groupCommit.max, result })) : [])];
  const walkFanout = runWalkFanoutStudy(calibration, SIMULATE_GRID, progress, known);

  return { calibrationCheck, scaling, hotSku: hot, minimalShards: minimal, recommendedShards: recommended, sensitivity, depthShards, depths, catalogue: catalogueRuns, outage: outageRun, groupCommit, walkFanout };
}
