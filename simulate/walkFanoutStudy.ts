import type { Calibration } from './calibration';
import { meetsAllAnswersTarget } from './groupCommitStudy';
import { simulateSale, type SaleResult } from './sale';
import { GROUP_COMMIT_MAX, hotSku } from './scenarios';

/** Which sales to run: every shard count × fan-out × batch bound (1: group commit off). */
export type FanoutGrid = { readonly shards: readonly number[]; readonly fanouts: readonly number[]; readonly batchMaxes: readonly number[] };

/** `npm run simulate`'s table: the shard counts nearest the target, fan-out 1 taken from tables (a) and (d). */
export const SIMULATE_GRID: FanoutGrid = { shards: [32, 64], fanouts: [1, 4, 8, Number.POSITIVE_INFINITY], batchMaxes: [1, GROUP_COMMIT_MAX] };
/** `npm run simulate:walk-fanout`: issue 24's whole grid. */
export const FULL_GRID: FanoutGrid = { shards: [16, 32, 64], fanouts: [1, 4, 8, 16, Number.POSITIVE_INFINITY], batchMaxes: [1, GROUP_COMMIT_MAX] };

export type FanoutRun = { readonly batchMax: number; readonly result: SaleResult };

export type WalkFanoutStudy = {
  readonly runs: readonly FanoutRun[];
  /** The fewest shards whose p99 of every final answer (accepted and refused) is under the target, and at which fan-out; null: none. */
  readonly minimal: { readonly shards: number; readonly walkFanout: number | null; readonly batchMax: number } | null;
};

export const fanoutName = (k: number | null): string => (k === null || !Number.isFinite(k) ? 'all' : String(k));

/**
 * Borrowing from several siblings at once (`walkFanout`): the hot SKU at the headline profile and
 * default D. `known` holds sales already run (fan-out 1), reused when shards and B match.
 */
export function runWalkFanoutStudy(calibration: Calibration, grid: FanoutGrid, progress: (step: string) => void, known: readonly FanoutRun[] = []): WalkFanoutStudy {
  const { headline } = calibration;
  const runs = grid.batchMaxes.flatMap((batchMax) =>
    grid.shards.flatMap((shards) =>
      grid.fanouts.map((fanout): FanoutRun => {
        const same = known.find((k) => k.batchMax === batchMax && Number(k.result.shards) === shards && (k.result.walkFanout ?? Infinity) === fanout);
        if (same) return same;
        progress(`hot SKU, ${headline.name}, B = ${batchMax}, ${shards} shards, walk fan-out ${fanoutName(fanout)}`);
        return { batchMax, result: simulateSale(hotSku(headline, shards, undefined, 1, batchMax, fanout)) };
      }),
    ),
  );
  const meeting = runs.filter((r) => meetsAllAnswersTarget(r.result)).sort((a, b) => Number(a.result.shards) - Number(b.result.shards));
  const best = meeting[0];
  return { runs, minimal: best ? { shards: Number(best.result.shards), walkFanout: best.result.walkFanout, batchMax: best.batchMax } : null };
}
