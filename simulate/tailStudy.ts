import type { Calibration } from './calibration';
import type { Admission, Borrowing, GroupCommit, Scenario } from './params';
import { runSale, summarize } from './sale';
import { GROUP_COMMIT_MAX, hotSku, P99_TARGET_MS } from './scenarios';
import { tailBreakdown, type TailRun } from './tailReport';

/**
 * The sell-out tail (`npm run simulate:tail`): product changes that might bring the p99 of every
 * final answer under the target, each an option of the model whose default is today's protocol.
 */
export type Mechanism = {
  readonly name: string;
  readonly admission?: Partial<Pick<Admission, 'rule' | 'parkedCount' | 'parkedCap'>>;
  readonly borrowing?: Partial<Borrowing>;
  readonly groupCommit?: Partial<Pick<GroupCommit, 'releaseOnPark' | 'where'>>;
};

/** Each step adds one change to the ones before it (the order the diagnosis pointed to). */
export const LADDER: readonly Mechanism[] = [
  { name: 'today' },
  { name: '+ sojourn admission (product rule)', admission: { rule: 'sojourn' } },
  { name: '+ batched settle', borrowing: { settle: 'batch' } },
  { name: '+ ask believed-empty at once', borrowing: { emptyFanout: true } },
  { name: '+ level gossip', borrowing: { hintGossip: true } },
  { name: '+ batched sibling requests', borrowing: { siblingBatch: true } },
  { name: '+ lane released on park', groupCommit: { releaseOnPark: true } },
];

/** Every step of the ladder at once. */
export const ALL: Mechanism = LADDER.reduce((all, m) => ({
  name: 'all',
  admission: { ...all.admission, ...m.admission },
  borrowing: { ...all.borrowing, ...m.borrowing },
  groupCommit: { ...all.groupCommit, ...m.groupCommit },
}));

/** The same with today's admission rule (depth D, parked buyers counted): is the rule itself needed? */
export const ALL_WITH_DEPTH: Mechanism = { ...ALL, name: 'all, depth D', admission: { rule: 'depth' } };

export type TailGrid = {
  readonly ladderShards: readonly number[];
  readonly ladderBatchMax: number;
  readonly shards: readonly number[];
  readonly batchMaxes: readonly number[];
  readonly seeds: readonly number[];
};

export const TAIL_GRID: TailGrid = { ladderShards: [32, 64], ladderBatchMax: GROUP_COMMIT_MAX, shards: [16, 32, 64], batchMaxes: [1, GROUP_COMMIT_MAX], seeds: [1, 2] };

export type { TailRun };

export type TailStudy = {
  readonly ladder: readonly TailRun[];
  /** Group commit off: today, and the product's admission rule alone (the ladder's B has both in its first rows). */
  readonly groupCommitOff: readonly TailRun[];
  readonly combined: readonly TailRun[];
  /** The fewest shards whose p99 of every final answer is under the target with every seed; null: none. */
  readonly minimal: { readonly shards: number; readonly mechanism: string; readonly batchMax: number } | null;
};

/** The hot SKU with `mechanism`'s options over today's defaults. */
export function tailScenario(calibration: Calibration, shards: number, batchMax: number, mechanism: Mechanism, seed = 1): Scenario {
  const base = hotSku(calibration.headline, shards, undefined, seed, batchMax);
  return {
    ...base,
    name: `${base.name}, ${mechanism.name}`,
    admission: { ...base.admission, ...mechanism.admission },
    borrowing: { ...base.borrowing, ...mechanism.borrowing },
    groupCommit: { ...base.groupCommit, ...mechanism.groupCommit },
  };
}

export function runTail(calibration: Calibration, shards: number, batchMax: number, mechanism: Mechanism, seed = 1): TailRun {
  const scenario = tailScenario(calibration, shards, batchMax, mechanism, seed);
  const { world, skus } = runSale(scenario);
  return { mechanism: mechanism.name, batchMax, seed, result: summarize(scenario, world, skus), tail: tailBreakdown(world.metrics.trace) };
}

const meets = (r: TailRun) => r.result.answerP99 !== null && r.result.answerP99 < P99_TARGET_MS && r.result.oversold === 0 && r.result.stranded === 0 && r.result.conserved;

export function runTailStudy(calibration: Calibration, grid: TailGrid, progress: (step: string) => void): TailStudy {
  const ladder: TailRun[] = [];
  for (const shards of grid.ladderShards) {
    let mechanism: Mechanism = LADDER[0]!;
    for (const step of LADDER) {
      mechanism = step === LADDER[0] ? step : { name: step.name, admission: { ...mechanism.admission, ...step.admission }, borrowing: { ...mechanism.borrowing, ...step.borrowing }, groupCommit: { ...mechanism.groupCommit, ...step.groupCommit } };
      progress(`${shards} shards, B = ${grid.ladderBatchMax}, ${step.name}`);
      ladder.push(runTail(calibration, shards, grid.ladderBatchMax, mechanism));
    }
  }
  const groupCommitOff = grid.ladderShards.flatMap((shards) =>
    [LADDER[0]!, { ...LADDER[1]!, name: 'sojourn admission alone' }].map((mechanism) => {
      progress(`${shards} shards, B = 1, ${mechanism.name}`);
      return runTail(calibration, shards, 1, mechanism);
    }),
  );
  const combined: TailRun[] = [];
  for (const mechanism of [ALL, ALL_WITH_DEPTH])
    for (const batchMax of grid.batchMaxes)
      for (const shards of grid.shards)
        for (const seed of grid.seeds) {
          progress(`${shards} shards, B = ${batchMax}, ${mechanism.name}, seed ${seed}`);
          combined.push(runTail(calibration, shards, batchMax, mechanism, seed));
        }
  const groups = new Map<string, TailRun[]>();
  for (const r of combined) {
    const key = `${r.result.shards}|${r.mechanism}|${r.batchMax}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const meeting = [...groups.values()].filter((runs) => runs.every(meets)).map((runs) => runs[0]!).sort((a, b) => Number(a.result.shards) - Number(b.result.shards));
  const best = meeting[0];
  return { ladder, groupCommitOff, combined, minimal: best ? { shards: Number(best.result.shards), mechanism: best.mechanism, batchMax: best.batchMax } : null };
}
