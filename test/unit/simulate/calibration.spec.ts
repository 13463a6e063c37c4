import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { calibrate } from '../../../simulate/calibration';
import { closedLoop } from '../../../simulate/closedLoop';
import { BatchCostResultSchema, HistoryResultSchema, HotSkuResultSchema } from '../../../simulate/inputs';
import { benchmarkReplay } from '../../../simulate/scenarios';
import { batchFactor, serviceMean } from '../../../simulate/serviceTime';

const results = join(import.meta.dirname, '..', '..', '..', 'bench', 'results');
const read = (name: string): unknown => JSON.parse(readFileSync(join(results, `${name}.json`), 'utf8'));

describe('calibration from this repository’s benchmarks', () => {
  const calibration = calibrate(HotSkuResultSchema.parse(read('hot-sku')), HistoryResultSchema.parse(read('history')), BatchCostResultSchema.parse(read('batch-cost')));

  it('fits a service time whose capacity lies within the measured saturated throughput', () => {
    const capacity = 1000 / serviceMean(calibration.machine.command);
    const saturated = calibration.benchmark.filter((b) => b.connections >= 10).map((b) => b.rps);
    expect(capacity).toBeGreaterThan(Math.min(...saturated) * 0.95);
    expect(capacity).toBeLessThan(Math.max(...saturated) * 1.05);
  });

  it('replays the hot-SKU benchmark: throughput within 10% and median within 25% at 10 and 100 connections', () => {
    for (const measured of calibration.benchmark.filter((b) => b.connections >= 10)) {
      const model = closedLoop(benchmarkReplay(calibration.machine, calibration.loopbackRttMs), measured.connections, 4);
      expect(Math.abs(model.rps / measured.rps - 1)).toBeLessThan(0.1);
      expect(Math.abs(model.p50 / measured.p50 - 1)).toBeLessThan(0.25);
    }
  });

  it('takes a group-commit batch’s cost from the measured line: one reserve costs a command, 64 far less than 64 commands', () => {
    const batchCost = BatchCostResultSchema.parse(read('batch-cost'));
    expect(calibration.batch).toEqual({ aMs: batchCost.fit.aMs, bMs: batchCost.fit.bMs });
    expect(batchFactor(calibration.batch, 1)).toBe(1);
    expect(batchFactor(calibration.batch, 64)).toBeGreaterThan(1);
    expect(batchFactor(calibration.batch, 64)).toBeLessThan(64);
    // The line passes near what was measured at the largest size.
    const largest = batchCost.rows.at(-1)!;
    expect(Math.abs((calibration.batch.aMs + calibration.batch.bMs * largest.size) / largest.msPerBatch - 1)).toBeLessThan(0.2);
  });

  it('refuses a result file whose fields changed', () => {
    expect(() => HotSkuResultSchema.parse({ date: 'x', steps: [{ system: 'this system (edge)', connections: 1, requestsPerSecond: 1 }] })).toThrow();
  });
});
