import { randomInt } from 'node:crypto';
import { writeResult } from '../bench/lib/report';
import { runTorture } from './run';

/**
 * `npm run torture`: a seeded run (TORTURE_SEED to replay one; the seed is printed either way),
 * TORTURE_OPS operations (default 100,000), TORTURE_FUZZ malformed requests (default 10,000),
 * TORTURE_FAULTS=off for the same schedule on a calm system. Exits 1 on any violation.
 */
const seed = Number(process.env.TORTURE_SEED ?? randomInt(1, 2 ** 31));
const ops = Number(process.env.TORTURE_OPS ?? 100_000);
const fuzzRequests = Number(process.env.TORTURE_FUZZ ?? 10_000);
const report = await runTorture({ seed, ops, fuzzRequests, faults: process.env.TORTURE_FAULTS !== 'off' });
writeResult('torture', { parameters: { seed, ops, fuzzRequests }, seconds: report.seconds, violations: report.violations, checks: report.checks.map((c) => ({ ...c, violations: c.violations.slice(0, 50) })) });
console.log(`\nseed ${seed}: ${report.violations === 0 ? 'no violation' : `${report.violations} violations`} in ${report.seconds.toFixed(0)} s`);
process.exit(report.violations === 0 ? 0 : 1);
