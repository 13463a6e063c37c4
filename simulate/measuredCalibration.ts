import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { calibrate, type Calibration } from './calibration';
import { BatchCostResultSchema, HistoryResultSchema, HotSkuResultSchema } from './inputs';

/** The model calibrated from the benchmarks' committed results (bench/results): what every simulate command starts from. */
export function measuredCalibration(): Calibration {
  const results = join(import.meta.dirname, '..', 'bench', 'results');
  const readResult = (name: string): unknown => JSON.parse(readFileSync(join(results, `${name}.json`), 'utf8'));
  return calibrate(
    HotSkuResultSchema.parse(readResult('hot-sku')),
    HistoryResultSchema.parse(readResult('history')),
    BatchCostResultSchema.parse(readResult('batch-cost')),
  );
}
