import { printTable, writeResult } from '../bench/lib/report';
import { measuredCalibration } from './measuredCalibration';
import { fanoutRow } from './report';
import { FULL_GRID, runWalkFanoutStudy } from './walkFanoutStudy';

/**
 * `npm run simulate:walk-fanout`: issue 24's whole grid of borrowing walks that ask several
 * siblings at once (16–64 shards, fan-out 1–all, group commit off and on); `npm run simulate`
 * prints the part nearest the target. Writes bench/results/simulate-walk-fanout.json.
 */
const calibration = measuredCalibration();
const started = performance.now();
const study = runWalkFanoutStudy(calibration, FULL_GRID, (step) => process.stderr.write(`  simulating ${step} …\n`));
printTable(`Walks asking up to k siblings at once: hot SKU, ${calibration.headline.name}, D = ${study.runs[0]!.result.depth}`, study.runs.map(fanoutRow));
const unsafe = study.runs.filter((r) => r.result.oversold > 0 || r.result.stranded > 0 || !r.result.conserved);
writeResult('simulate-walk-fanout', { grid: FULL_GRID, seconds: Math.round((performance.now() - started) / 1000), study });
if (unsafe.length > 0) {
  console.error(`\nSAFETY VIOLATIONS in ${unsafe.length} sales`);
  process.exitCode = 1;
}
