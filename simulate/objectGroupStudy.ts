import type { Calibration } from './calibration';
import { runGroupCommitStudy, type GroupCommitStudy } from './groupCommitStudy';
import { GROUP_COMMIT_MAX } from './scenarios';
import { ALL, ALL_WITH_DEPTH, runTail, type Mechanism, type TailRun } from './tailStudy';

/**
 * Group commit as the product does it now, inside the object (objectGroup.ts), without the rest of
 * `npm run simulate` (`npm run simulate:object-group`): table (d), and the sell-out tail study's
 * every-change combinations with the object's rule instead of the retired Worker lanes.
 */
export type ObjectGroupStudy = { readonly groupCommit: GroupCommitStudy; readonly tail: readonly TailRun[] };

export const TAIL_SHARDS = [32, 64] as const;
export const TAIL_SEEDS = [1, 2] as const;

const inObject = (m: Mechanism): Mechanism => ({ ...m, name: `${m.name}, grouped in the object`, groupCommit: { ...m.groupCommit, where: 'object' } });

export function runObjectGroupStudy(calibration: Calibration, progress: (step: string) => void, seeds: readonly number[] = TAIL_SEEDS): ObjectGroupStudy {
  const groupCommit = runGroupCommitStudy(calibration, progress, 'object');
  const tail = [ALL, ALL_WITH_DEPTH].flatMap((m) =>
    TAIL_SHARDS.flatMap((shards) =>
      seeds.map((seed) => {
        progress(`${shards} shards, B = ${GROUP_COMMIT_MAX} in the object, ${m.name}, seed ${seed}`);
        return runTail(calibration, shards, GROUP_COMMIT_MAX, inObject(m), seed);
      }),
    ),
  );
  return { groupCommit, tail };
}
