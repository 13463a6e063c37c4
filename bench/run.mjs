// `npm run bench`: every benchmark, one after the other, each in its own process so that none
// measures the leftovers of another. Not part of `npm test`. Results: bench/results/*.json.
import { spawnSync } from 'node:child_process';

const benchmarks = ['bench:history', 'bench:bridge-memory', 'bench:embedded-log', 'bench:hot-sku', 'bench:relay', 'bench:storm', 'bench:sold-out-flood', 'bench:shards', 'bench:bridge-replicas', 'bench:batch-cost'];
let failed = false;
for (const name of benchmarks) {
  console.log(`\n=== ${name} ===`);
  const run = spawnSync('npm', ['run', '--silent', name], { stdio: 'inherit' });
  if (run.status !== 0) {
    console.error(`${name} failed (exit ${run.status})`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
