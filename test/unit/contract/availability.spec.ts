import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AVAILABILITY_BOUND_MS, availabilityOf, availableWithin, isDefinitive, tallyAvailability, type Attempt } from '../../../src/contract/availability';

describe('honest availability', () => {
  it('a grant or a true refusal is definitive; 503, 5xx, 429 and retry-later codes are not', () => {
    expect(isDefinitive(201)).toBe(true);
    expect(isDefinitive(200)).toBe(true);
    expect(isDefinitive(409, 'insufficient_stock')).toBe(true);
    expect(isDefinitive(409, 'customer_limit')).toBe(true);
    expect(isDefinitive(400, 'invalid_request')).toBe(true);
    expect(isDefinitive(503, 'overloaded')).toBe(false);
    expect(isDefinitive(503, 'wrong_shard')).toBe(false);
    expect(isDefinitive(503)).toBe(false);
    expect(isDefinitive(500, 'internal')).toBe(false);
    expect(isDefinitive(429, 'rate_limited')).toBe(false);
    expect(isDefinitive(408)).toBe(false);
    expect(isDefinitive(0)).toBe(false);
  });

  it('counts an attempt available only when definitive within the bound, retries included', () => {
    const at = (endedMs: number, definitive: boolean): Attempt => ({ startedMs: 1_000, endedMs, definitive });
    expect(availableWithin(at(1_000 + AVAILABILITY_BOUND_MS, true))).toBe(true);
    expect(availableWithin(at(1_001 + AVAILABILITY_BOUND_MS, true))).toBe(false);
    expect(availableWithin(at(1_010, false))).toBe(false);
    const tally = tallyAvailability([at(1_010, true), at(5_000, true), at(1_020, false), at(1_500, true)]);
    expect(tally).toEqual({ attempts: 4, available: 2, late: 1, unanswered: 1 });
    expect(availabilityOf(tally)).toBe(0.5);
    expect(availabilityOf(tallyAvailability([]))).toBe(1);
  });

  it('available + late + unanswered is every attempt, and a shorter bound never counts more', () => {
    const attempt = fc.record({ startedMs: fc.nat(10_000), took: fc.nat(10_000), definitive: fc.boolean() }).map((a) => ({ startedMs: a.startedMs, endedMs: a.startedMs + a.took, definitive: a.definitive }));
    fc.assert(
      fc.property(fc.array(attempt), fc.nat(5_000), (attempts, bound) => {
        const t = tallyAvailability(attempts, bound);
        expect(t.available + t.late + t.unanswered).toBe(attempts.length);
        expect(t.unanswered).toBe(attempts.filter((a) => !a.definitive).length);
        expect(tallyAvailability(attempts, bound + 100).available).toBeGreaterThanOrEqual(t.available);
      }),
    );
  });
});
