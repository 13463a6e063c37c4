import { printTable, writeResult } from '../bench/lib/report';
import { measuredCalibration } from './measuredCalibration';
import { runObjectGroupStudy, TAIL_SEEDS } from './objectGroupStudy';
import { batchedRow } from './report';
import { tailRow } from './tailReport';

/**
 * `npm run simulate:object-group [-- seeds]`: group commit inside the object, the product's rule
 * (ADR 0021): table (d) and the tail study's every-change combinations (seeds, comma-separated,
 * default 1,2). Writes bench/results/simulate-object-group.json; exits non-zero if any sale
 * oversold or stranded.
 */
const seeds = process.argv[2] ? process.argv[2].split(',').map(Number) : TAIL_SEEDS;
const calibration = measuredCalibration();
const started = performance.now();
const study = runObjectGroupStudy(calibration, (step) => process.stderr.write(`  simulating ${step} …\n`), seeds);
const g = study.groupCommit;
printTable(`(d) Group commit in the object, B = ${g.max}: hot SKU, ${calibration.headline.name}, D = ${g.hotSku[0]!.depth}`, g.hotSku.map((r) => batchedRow(r, 'shards')));
printTable(`(d) Group commit in the object, B = ${g.max}: larger admission bounds D`, g.depths.map((r) => batchedRow(r, 'D')));
printTable(`Throughput, B = ${g.max} in the object (closed loop, saturated)`, g.scaling.map((s) => ({ profile: s.profile, shards: s.shards, 'reservations/s': Math.round(s.rps), 'per shard': Math.round(s.perShard), 'mean group': Math.round(s.meanBatch * 10) / 10, 'target ≥ 32,000/s': s.rps >= 32_000 ? 'met' : 'NOT MET' })));
printTable(`Sell-out tail, every change at once, grouped in the object: hot SKU, ${calibration.headline.name}`, study.tail.map(tailRow));
const sales = [...g.hotSku, ...g.depths, ...study.tail.map((r) => r.result)];
const unsafe = sales.filter((r) => r.oversold > 0 || r.stranded > 0 || !r.conserved);
writeResult('simulate-object-group', { seeds, seconds: Math.round((performance.now() - started) / 1000), study });
if (unsafe.length > 0) {
  console.error(`\nSAFETY VIOLATIONS in ${unsafe.length} sales`);
  process.exitCode = 1;
}
