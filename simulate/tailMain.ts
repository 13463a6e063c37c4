import { printTable, writeResult } from '../bench/lib/report';
import { measuredCalibration } from './measuredCalibration';
import { P99_TARGET_MS } from './scenarios';
import { tailRow } from './tailReport';
import { runTailStudy, TAIL_GRID } from './tailStudy';

/**
 * `npm run simulate:tail`: why the refused buyers of the sell-out wait, and which product changes
 * shorten it (simulate/README.md). Writes bench/results/simulate-tail.json.
 */
const calibration = measuredCalibration();
const started = performance.now();
const study = runTailStudy(calibration, TAIL_GRID, (step) => process.stderr.write(`  simulating ${step} …\n`));
printTable(`Sell-out tail, one change after another: hot SKU, ${calibration.headline.name}`, study.ladder.map(tailRow));
printTable(`Group commit off: today and the product's admission rule: hot SKU, ${calibration.headline.name}`, study.groupCommitOff.map(tailRow));
printTable(`Every change at once (and with today's depth rule): hot SKU, ${calibration.headline.name}`, study.combined.map(tailRow));
console.log(study.minimal ? `\nfewest shards under ${P99_TARGET_MS} ms with every seed: ${study.minimal.shards} (${study.minimal.mechanism}, B = ${study.minimal.batchMax})` : `\nno configuration reaches p99 of all answers < ${P99_TARGET_MS} ms with every seed`);
const runs = [...study.ladder, ...study.groupCommitOff, ...study.combined];
const unsafe = runs.filter((r) => r.result.oversold > 0 || r.result.stranded > 0 || !r.result.conserved);
writeResult('simulate-tail', { grid: TAIL_GRID, seconds: Math.round((performance.now() - started) / 1000), study });
if (unsafe.length > 0) {
  console.error(`\nSAFETY VIOLATIONS in ${unsafe.length} sales`);
  process.exitCode = 1;
}
