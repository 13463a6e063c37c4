import { printTable, writeResult } from '../bench/lib/report';
import { measuredCalibration } from './measuredCalibration';
import { regionRow, regionSafetyRow, regionViolations } from './regionReport';
import { REGION_ASSUMPTIONS } from './regions';
import { REGION_GRID, runRegionStudy } from './regionStudy';
import { LIMIT_PER_CUSTOMER } from './scenarios';

/**
 * `npm run simulate:region [-- seeds]`: the regional outage, honestly (issue 25; simulate/README.md).
 * Prints the inputs, then each protocol without and with the outage side by side; writes
 * bench/results/simulate-region.json; exits non-zero if a sale oversold, stranded, lost a unit
 * or let a customer past the limit by more than one limit.
 */
const seeds = process.argv[2] ? process.argv[2].split(',').map(Number) : REGION_GRID.seeds;
const grid = { ...REGION_GRID, seeds };
const calibration = measuredCalibration();
const started = performance.now();
printTable('Inputs of the region study (the others as `npm run simulate` prints them)', REGION_ASSUMPTIONS.map((a) => ({ ...a })));
const runs = runRegionStudy(calibration, grid, (step) => process.stderr.write(`  simulating ${step} …\n`));
printTable(`Regional outage, honestly: hot SKU, ${calibration.headline.name}, 120,000 buyers (windows: the outage's 30 s by first request; "(not)": attempts not available)`, runs.map(regionRow));
printTable('Regional outage: failover, limit overshoot and safety', runs.map(regionSafetyRow));
const failures = regionViolations(runs, LIMIT_PER_CUSTOMER);
writeResult('simulate-region', { inputs: REGION_ASSUMPTIONS, grid, seconds: Math.round((performance.now() - started) / 1000), runs, violations: failures });
if (failures.length > 0) {
  console.error(`\nSAFETY VIOLATIONS:\n${failures.join('\n')}`);
  process.exitCode = 1;
}
