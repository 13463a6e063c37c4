import type { Calibration } from './calibration';
import { closedLoop } from './closedLoop';
import type { GroupCommit, Scenario, ServiceProfile } from './params';
import { simulateSale, type SaleResult } from './sale';
import { GROUP_COMMIT_MAX, GROUP_COMMIT_SHARD_COUNTS, hotSku, P99_TARGET_MS, saturation } from './scenarios';

/** Saturated throughput of one SKU with group commit: reservations/s, and reserves per object call. */
export type BatchedScalingPoint = { readonly profile: string; readonly shards: number; readonly rps: number; readonly perShard: number; readonly meanBatch: number };

export type GroupCommitStudy = {
  /** The batch bound B these runs use, and where the reserves are grouped. */
  readonly max: number;
  readonly where: GroupCommit['where'];
  /** The hot SKU at the headline profile and default D, every shard count. */
  readonly hotSku: readonly SaleResult[];
  /** The fewest shards whose p99 of every final answer (accepted and refused) is under the target; null: none. */
  readonly minimalShards: number | null;
  /** The same at larger admission bounds D (each reserve counts as one command), at the most shards. */
  readonly depths: readonly SaleResult[];
  readonly scaling: readonly BatchedScalingPoint[];
};

/**
 * Table (d) groups where the product does now, in the object (ADR 0021); 'worker' replays the
 * retired lanes (simulate/README.md keeps their figures as a note).
 */
const WHERE: GroupCommit['where'] = 'object';
const grouped = (s: Scenario, where: GroupCommit['where']): Scenario => ({ ...s, groupCommit: { ...s.groupCommit, where } });

const SECONDS = 2;
/** Enough clients that every isolate's lane (or the object) has a full batch queued behind the one in service. */
const CONNECTIONS_PER_SHARD = 2 * 16 * GROUP_COMMIT_MAX;
const DEPTHS = [256, Number.POSITIVE_INFINITY] as const;
const DEPTH_SHARDS = [32, 64] as const;

/** Issue 24's target for the simulation: p99 of ALL final answers, refusals included (not only the accepted ones). */
export const meetsAllAnswersTarget = (r: SaleResult): boolean => r.answerP99 !== null && r.answerP99 < P99_TARGET_MS && r.oversold === 0 && r.stranded === 0;

function scalingPoint(profile: ServiceProfile, shards: number, where: GroupCommit['where']): BatchedScalingPoint {
  const run = closedLoop(grouped(saturation(profile, shards, 1, GROUP_COMMIT_MAX), where), shards * CONNECTIONS_PER_SHARD, SECONDS);
  return { profile: profile.name, shards, rps: run.rps, perShard: run.rps / shards, meanBatch: run.meanBatch };
}

/** Group commit on: the hot SKU at every shard count, larger admission bounds, and saturated throughput at each documented rate. */
export function runGroupCommitStudy(calibration: Calibration, progress: (step: string) => void, where = WHERE): GroupCommitStudy {
  const { headline } = calibration;
  const hot = GROUP_COMMIT_SHARD_COUNTS.map((shards) => {
    progress(`hot SKU, ${headline.name}, B = ${GROUP_COMMIT_MAX}, ${shards} shards`);
    return simulateSale(grouped(hotSku(headline, shards, undefined, 1, GROUP_COMMIT_MAX), where));
  });
  const meeting = hot.filter(meetsAllAnswersTarget).map((r) => Number(r.shards));
  const depths = DEPTH_SHARDS.flatMap((shards) =>
    DEPTHS.map((depth) => {
      progress(`hot SKU, ${headline.name}, B = ${GROUP_COMMIT_MAX}, ${shards} shards, queue depth ${depth}`);
      return simulateSale(grouped(hotSku(headline, shards, depth, 1, GROUP_COMMIT_MAX), where));
    }),
  );
  progress(`throughput with B = ${GROUP_COMMIT_MAX}`);
  const scaling = [
    ...[1, 8, 16, 32, 64].map((shards) => scalingPoint(headline, shards, where)),
    ...calibration.profiles.filter((p) => p !== headline && p !== calibration.machine).map((p) => scalingPoint(p, 64, where)),
  ];
  return { max: GROUP_COMMIT_MAX, where, hotSku: hot, minimalShards: meeting.length === 0 ? null : Math.min(...meeting), depths, scaling };
}
