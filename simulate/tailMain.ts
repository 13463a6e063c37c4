import { printTable, writeResult, type Row } from '../bench/lib/report';
import { measuredCalibration } from './measuredCalibration';
import { P99_TARGET_MS } from './scenarios';
import { runTailStudy, TAIL_GRID, type TailRun } from './tailStudy';

/**
 * `npm run simulate:tail`: why the refused buyers of the sell-out wait, and which product changes
 * shorten it (simulate/README.md). Writes bench/results/simulate-tail.json.
 */
const ms = (v: number | null) => (v === null ? '–' : String(Math.round(v * 10) / 10));

function row({ mechanism, batchMax, seed, result: r, tail }: TailRun): Row {
  const c = tail?.causes;
  return {
    shards: r.shards,
    B: batchMax,
    seed,
    change: mechanism,
    'all p50 / p99 ms': `${ms(r.answerP50)} / ${ms(r.answerP99)}`,
    'accepted p50 / p99 ms': `${ms(r.p50)} / ${ms(r.p99)}`,
    'refused p50 / p99 ms': `${ms(r.refusedP50)} / ${ms(r.refusedP99)}`,
    '503 answers': r.overloaded + r.unavailable,
    'slowest 1 %: shed / parked / lane / queue / other': c ? `${c.shed + c.unavailable} / ${c.parked} / ${c.lane} / ${c.queue} / ${c.other}` : '–',
    'sent at (p10–p90) ms': tail ? `${Math.round(tail.firstSentP10Ms)}–${Math.round(tail.firstSentP90Ms)}` : '–',
    [`p99 < ${P99_TARGET_MS}`]: r.answerP99 !== null && r.answerP99 < P99_TARGET_MS ? 'yes' : 'no',
    'oversold / stranded': `${r.oversold} / ${r.stranded}`,
  };
}

const calibration = measuredCalibration();
const started = performance.now();
const study = runTailStudy(calibration, TAIL_GRID, (step) => process.stderr.write(`  simulating ${step} …\n`));
printTable(`Sell-out tail, one change after another: hot SKU, ${calibration.headline.name}`, study.ladder.map(row));
printTable(`Group commit off: today and the product's admission rule: hot SKU, ${calibration.headline.name}`, study.groupCommitOff.map(row));
printTable(`Every change at once (and with today's depth rule): hot SKU, ${calibration.headline.name}`, study.combined.map(row));
console.log(study.minimal ? `\nfewest shards under ${P99_TARGET_MS} ms with every seed: ${study.minimal.shards} (${study.minimal.mechanism}, B = ${study.minimal.batchMax})` : `\nno configuration reaches p99 of all answers < ${P99_TARGET_MS} ms with every seed`);
const runs = [...study.ladder, ...study.groupCommitOff, ...study.combined];
const unsafe = runs.filter((r) => r.result.oversold > 0 || r.result.stranded > 0 || !r.result.conserved);
writeResult('simulate-tail', { grid: TAIL_GRID, seconds: Math.round((performance.now() - started) / 1000), study });
if (unsafe.length > 0) {
  console.error(`\nSAFETY VIOLATIONS in ${unsafe.length} sales`);
  process.exitCode = 1;
}
