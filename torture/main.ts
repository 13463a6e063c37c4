import { randomInt } from 'node:crypto';
import { writeResult } from '../bench/lib/report';
import { runTorture } from './run';

/**
 * `npm run torture`: a seeded run (TORTURE_SEED to replay one; the seed is printed either way),
 * TORTURE_OPS operations (default 100,000), TORTURE_FUZZ malformed requests (default 10,000),
 * TORTURE_FAULTS=off for the same schedule on a calm system. Exits 1 on any violation. Writes
 * `bench/results/torture.json`: operations, faults, each check's counts, 5xx and 503-overloaded
 * counts, the share answered without a 5xx, honest availability by operation, duration and seed.
 */
const seed = Number(process.env.TORTURE_SEED ?? randomInt(1, 2 ** 31));
const ops = Number(process.env.TORTURE_OPS ?? 100_000);
const fuzzRequests = Number(process.env.TORTURE_FUZZ ?? 10_000);
const report = await runTorture({ seed, ops, fuzzRequests, faults: process.env.TORTURE_FAULTS !== 'off' });
writeResult('torture', { parameters: { seed, ops, fuzzRequests }, ...report.summary });
console.log(`\nseed ${seed}: ${report.violations === 0 ? 'no violation' : `${report.violations} violations`} in ${report.seconds.toFixed(0)} s`);
process.exit(report.violations === 0 ? 0 : 1);
