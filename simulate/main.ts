import { printTable, writeResult } from '../bench/lib/report';
import { measuredCalibration } from './measuredCalibration';
import { assumptionRows, batchedRow, batchedScalingRows, calibrationRows, documentedRows, fanoutRow, headlineRows, measuredRows, outageHeadline, profileRows, saleRow, scalingRows, sensitivityRows, violations, workRow } from './report';
import { CLOUDFLARE } from './documented';
import { ASSUMPTIONS, P99_TARGET_MS } from './scenarios';
import { runStudy } from './study';

/**
 * `npm run simulate`: predicts the flash sale at internet scale with a discrete-event model
 * calibrated by this repository's own benchmarks, prints the inputs and their sources, then the
 * tables, and writes bench/results/simulate.json. Exits non-zero if any sale oversold or stranded
 * a unit.
 */
const calibration = measuredCalibration();
const started = performance.now();

printTable('Inputs measured on this machine', measuredRows(calibration));
printTable('Inputs documented by Cloudflare (and the brief)', documentedRows());
printTable('Service time per command (lognormal; the sigma of this machine, the mean of each rate)', profileRows(calibration));
printTable('Assumptions', assumptionRows());

const study = runStudy(calibration, (step) => process.stderr.write(`  simulating ${step} …\n`));

printTable('Calibration check: this machine, 1 object, closed loop (the hot-SKU benchmark replayed)', calibrationRows(study));
printTable(`Throughput scaling at ${calibration.headline.name} (closed loop, saturated)`, scalingRows(study));
printTable(`(a) Hot SKU, ${calibration.headline.name}, D = ${study.hotSku[0]!.depth}: buyers`, study.hotSku.map((r) => saleRow(r, 'shards')));
printTable('(a) Hot SKU: work and safety', study.hotSku.map((r) => workRow(r, 'shards')));
printTable('(a) Hot SKU at other per-object rates (from 64 shards down to the first miss)', sensitivityRows(study));
printTable(`(a) Hot SKU, ${study.depthShards} shards: admission queue depth D`, study.depths.map((r) => saleRow(r, 'D')));
printTable('(b) Catalogue: buyers', study.catalogue.map((r) => saleRow(r, 'scenario')));
printTable('(b) Catalogue: work and safety', study.catalogue.map((r) => workRow(r, 'scenario')));
printTable(`(c) Regional outage, ${study.recommendedShards} shards`, [saleRow(study.outage, 'scenario')]);
printTable('(c) Regional outage: work and safety', [workRow(study.outage, 'scenario')]);
const g = study.groupCommit;
const where = g.where === 'object' ? 'in the object' : 'in Worker lanes (retired)';
printTable(`(d) Group commit ${where}, B = ${g.max}: hot SKU, ${calibration.headline.name}, D = ${g.hotSku[0]!.depth} (each command counted as alone)`, g.hotSku.map((r) => batchedRow(r, 'shards')));
printTable(`(d) Group commit ${where}, B = ${g.max}: larger admission bounds D`, g.depths.map((r) => batchedRow(r, 'D')));
printTable(`(d) Group commit ${where}, B = ${g.max}: one hot SKU saturated (closed loop) at the documented per-object rates`, batchedScalingRows(study));
printTable(`(e) Walks asking up to k siblings at once (fan-out; 1 = one after another): hot SKU, ${calibration.headline.name}, D = ${g.hotSku[0]!.depth}`, study.walkFanout.runs.map(fanoutRow));
printTable(`Headline: 120,000 concurrent checkouts on one SKU, buyer p99 < ${P99_TARGET_MS} ms`, headlineRows(study, calibration));
printTable('Headline: regional outage mid-sale', outageHeadline(study));

const failures = violations(study);
writeResult('simulate', { inputs: { calibration, documented: CLOUDFLARE, assumptions: ASSUMPTIONS }, seconds: Math.round((performance.now() - started) / 1000), study, violations: failures });
if (failures.length > 0) {
  console.error(`\nSAFETY VIOLATIONS:\n${failures.join('\n')}`);
  process.exitCode = 1;
}
