import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { honest, type AttemptRecord } from '../../../simulate/attempts';
import { runSale, summarize } from '../../../simulate/sale';
import { customerHash } from '../../../simulate/sku';
import { expectSettled, smallSale } from './support';

const attempt = (startedMs: number, endedMs: number, outcome: AttemptRecord['outcome'], kind: AttemptRecord['kind'] = 'reserve'): AttemptRecord => ({ kind, outcome, startedMs, endedMs, definitive: outcome !== 'unanswered' });

describe('honest availability of the simulated attempts', () => {
  it('counts a definitive answer within 2 s of the first request, retries included; a 503 at the end, or a late answer, counts against', () => {
    const records = [
      attempt(0, 5, 'accepted'),
      attempt(0, 0, 'edge'),
      attempt(10, 1_900, 'refused'),
      attempt(20, 2_600, 'accepted'), // answered after retries, past 2 s
      attempt(30, 9_000, 'unanswered'), // gave up after its 503s
      attempt(40, 60, 'completed', 'complete'),
    ];
    const h = honest(records, 'reserve');
    expect(h).toMatchObject({ attempts: 5, available: 3, late: 1, unanswered: 1, share: 0.6 });
    expect(h.acceptedP99).toBe(2_580);
    expect(h.refusedP99).toBe(1_890);
    expect(honest(records, 'complete')).toMatchObject({ attempts: 1, available: 1 });
  });

  it('splits attempts by when they were first sent: in the outage window or outside it', () => {
    const records = [attempt(500, 520, 'accepted'), attempt(1_000, 4_000, 'unanswered'), attempt(30_999, 31_010, 'refused'), attempt(31_000, 31_001, 'refused')];
    const window = { fromMs: 1_000, toMs: 31_000 };
    expect(honest(records, 'reserve', { ...window, inside: true })).toMatchObject({ attempts: 2, available: 1, unanswered: 1, answerP99: 11 });
    expect(honest(records, 'reserve', { ...window, inside: false })).toMatchObject({ attempts: 2, available: 2, answerP99: 20 });
  });
});

describe('a regional outage with the edge’s failover (small sales)', () => {
  it('never oversells nor strands, sells the lost region’s units after it returns, and lets a re-homed customer past the limit by one limit at most', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.constantFrom(4, 8, 16), fc.integer({ min: 100, max: 1_500 }), (seed, shards, atMs) => {
        const s = smallSale({ seed, shards, stock: 60, buyers: 300, depth: 64, ttlMs: 20_000, completeShare: 1, outage: { atMs, durationMs: 3_000, location: 0 }, regions: true });
        const { world, skus } = runSale(s);
        const sku = skus[0]!;
        expectSettled(sku);
        expect(sku.limitOvershoot).toBeLessThanOrEqual(sku.limitPerCustomer);
        // Every hold is completed, so every unit is sold at the end: the lost region's came back and were sold.
        const result = summarize(s, world, skus);
        expect(result.unsold).toBe(0);
        for (const customer of sku.overLimit) expect(customerHash(customer) % shards % 4).toBe(0);
      }),
      { numRuns: 40 },
    );
  }, 60_000);

  it('re-homes the lost region’s customers and answers them, where without failover they wait on 503s', () => {
    const base = { seed: 5, shards: 8, stock: 200, buyers: 600, depth: 64, ttlMs: 60_000, completeShare: 1, outage: { atMs: 200, durationMs: 3_000, location: 0 } };
    const withFailover = runSale(smallSale({ ...base, regions: true }));
    const without = runSale(smallSale(base));
    const a = summarize(smallSale({ ...base, regions: true }), withFailover.world, withFailover.skus);
    const b = summarize(smallSale(base), without.world, without.skus);
    expect(a.rehomed).toBeGreaterThan(0);
    expect(a.breakerTrips).toBeGreaterThan(0);
    expect(a.availability.share).toBeGreaterThan(b.availability.share);
    expect(b.rehomed).toBe(0);
  });
});
