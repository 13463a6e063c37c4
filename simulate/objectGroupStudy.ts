import type { Calibration } from './calibration';
import { closedLoop } from './closedLoop';
import { meetsAllAnswersTarget, type BatchedScalingPoint } from './groupCommitStudy';
import type { Scenario, ServiceProfile } from './params';
import { simulateSale, type SaleResult } from './sale';
import { GROUP_COMMIT_MAX, GROUP_COMMIT_SHARD_COUNTS, hotSku, saturation } from './scenarios';
import { ALL, ALL_WITH_DEPTH, runTail, type Mechanism, type TailRun } from './tailStudy';

/**
 * Group commit as the product does it now, inside the object (objectGroup.ts): table (d), the
 * saturated throughput, and the sell-out tail's every-change combinations, with the object's rule
 * (`npm run simulate:object-group`). The retired Worker lanes stay `npm run simulate`'s table (d).
 */
export type ObjectGroupStudy = {
  readonly max: number;
  readonly hotSku: readonly SaleResult[];
  readonly minimalShards: number | null;
  readonly scaling: readonly BatchedScalingPoint[];
  readonly tail: readonly TailRun[];
};

const inObject = (s: Scenario): Scenario => ({ ...s, groupCommit: { ...s.groupCommit, where: 'object' } });
const SECONDS = 2;
/** As many clients per shard as the Worker-lane runs used: the object always has a full group queued. */
const CONNECTIONS_PER_SHARD = 2 * 16 * GROUP_COMMIT_MAX;
export const TAIL_SHARDS = [32, 64] as const;
export const TAIL_SEEDS = [1, 2] as const;

function scalingPoint(profile: ServiceProfile, shards: number): BatchedScalingPoint {
  const run = closedLoop(inObject(saturation(profile, shards, 1, GROUP_COMMIT_MAX)), shards * CONNECTIONS_PER_SHARD, SECONDS);
  return { profile: profile.name, shards, rps: run.rps, perShard: run.rps / shards, meanBatch: run.meanBatch };
}

const object = (m: Mechanism): Mechanism => ({ ...m, name: `${m.name}, grouped in the object`, groupCommit: { ...m.groupCommit, where: 'object' } });

export function runObjectGroupStudy(calibration: Calibration, progress: (step: string) => void): ObjectGroupStudy {
  const { headline } = calibration;
  const hot = GROUP_COMMIT_SHARD_COUNTS.map((shards) => {
    progress(`hot SKU, ${headline.name}, B = ${GROUP_COMMIT_MAX} in the object, ${shards} shards`);
    return simulateSale(inObject(hotSku(headline, shards, undefined, 1, GROUP_COMMIT_MAX)));
  });
  const meeting = hot.filter(meetsAllAnswersTarget).map((r) => Number(r.shards));
  progress(`throughput with B = ${GROUP_COMMIT_MAX} in the object`);
  const scaling = [
    ...[1, 8, 16, 32, 64].map((shards) => scalingPoint(headline, shards)),
    ...calibration.profiles.filter((p) => p !== headline && p !== calibration.machine).map((p) => scalingPoint(p, 64)),
  ];
  const tail = [ALL, ALL_WITH_DEPTH].flatMap((m) =>
    TAIL_SHARDS.flatMap((shards) =>
      TAIL_SEEDS.map((seed) => {
        progress(`${shards} shards, B = ${GROUP_COMMIT_MAX} in the object, ${m.name}, seed ${seed}`);
        return runTail(calibration, shards, GROUP_COMMIT_MAX, object(m), seed);
      }),
    ),
  );
  return { max: GROUP_COMMIT_MAX, hotSku: hot, minimalShards: meeting.length === 0 ? null : Math.min(...meeting), scaling, tail };
}
