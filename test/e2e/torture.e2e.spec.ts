import { describe, expect, it } from 'vitest';
import { runTorture } from '../../torture/run';

/**
 * The short torture run inside `npm test`: the same code as `npm run torture` (two bridge
 * replicas, one SIGKILLed and its partitions taken over by the other, both SIGKILLed for 3× the
 * saga deadline, a broker restart, two runtime restarts, a WMS outage over a faulty warehouse, a
 * rebuild mid-run, operations aimed at TTL boundaries, SKUs fed by the warehouse at two locations
 * with stocktakes below committed and documents posted and delivered twice, a malformed-request
 * fuzz, the archive in object storage written through the kills), fewer operations. A
 * fixed seed keeps CI reproducible; TORTURE_SEED explores others. Every 5xx of the run fails it,
 * even one a retry got past. Which product mutation each check catches: docs/testing.md, torture test.
 */
describe('torture (short)', () => {
  it('a seeded run with every fault: zero violations of any invariant', async () => {
    const seed = Number(process.env.TORTURE_SEED ?? 20261125);
    const report = await runTorture({ seed, ops: 3_000, fuzzRequests: 10_000, concurrency: 16 });
    const failed = report.checks.filter((c) => c.violations.length > 0).map((c) => `${c.check}: ${c.violations.slice(0, 5).join('; ')}`);
    expect(failed, `seed ${seed}`).toEqual([]);
    expect(report.checks.find((c) => c.check === 'faults injected')?.checked).toBe(7);
    // The checks that compare with what happened mid-run must have had something to compare.
    const checked = (prefix: string) => report.checks.find((c) => c.check.startsWith(prefix))?.checked ?? 0;
    expect(checked('rebuild in isolation')).toBeGreaterThan(0);
    expect(checked('checkouts right after the operations')).toBeGreaterThan(0);
    expect(checked('no 5xx answer')).toBeGreaterThan(0);
    expect(checked('reservations made during the bridge outage')).toBeGreaterThan(0);
    expect(checked('every completed purchase allocated')).toBeGreaterThan(0);
    expect(checked('no saga partition on two replicas at once')).toBeGreaterThan(0);
    expect(checked('no saga state went back')).toBeGreaterThan(0);
    // Stock fed by the warehouse: documents fed, some posted or delivered twice, stocktakes below committed.
    expect(checked('per location: reserved + sold')).toBeGreaterThan(0);
    expect(checked('each soap-1 document counted once')).toBeGreaterThan(0);
    expect(checked('a document posted twice or delivered twice counts once')).toBeGreaterThan(0);
    expect(checked('every re-sourcing and shortfall release')).toBeGreaterThan(0);
    expect(checked('every unit accounted for')).toBeGreaterThan(0);
    // The archive the SIGKILLed replicas wrote: every event once, files without overlap, snapshots sound.
    expect(checked('archive: every event')).toBeGreaterThan(0);
    expect(checked('archive: files of a stream')).toBeGreaterThan(0);
    expect(checked('archive: newest snapshots sound')).toBeGreaterThan(0);
  }, 900_000);
});
