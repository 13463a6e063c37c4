import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareClocks, concurrent, dominates, mergeClocks, type VectorClock } from '../../../src/domain/core/vectorClock';

const clock: fc.Arbitrary<VectorClock> = fc.dictionary(fc.constantFrom('sku:A', 'sku:B', 'sku:C', 'checkout:x'), fc.integer({ min: 1, max: 6 }), { maxKeys: 4 });

describe('vector clocks', () => {
  it('compare is antisymmetric and equal only for equal clocks', () => {
    fc.assert(
      fc.property(clock, clock, (a, b) => {
        const flip = { before: 'after', after: 'before', equal: 'equal', concurrent: 'concurrent' } as const;
        expect(compareClocks(b, a)).toBe(flip[compareClocks(a, b)]);
        expect(compareClocks(a, a)).toBe('equal');
      }),
    );
  });

  it('merge is the least upper bound: commutative, associative, idempotent, dominating both', () => {
    fc.assert(
      fc.property(clock, clock, clock, (a, b, c) => {
        expect(mergeClocks(a, b)).toEqual(mergeClocks(b, a));
        expect(mergeClocks(mergeClocks(a, b), c)).toEqual(mergeClocks(a, mergeClocks(b, c)));
        expect(mergeClocks(a, a)).toEqual(a);
        expect(dominates(mergeClocks(a, b), a) && dominates(mergeClocks(a, b), b)).toBe(true);
        // Least: anything dominating both dominates the merge.
        if (dominates(c, a) && dominates(c, b)) expect(dominates(c, mergeClocks(a, b))).toBe(true);
      }),
    );
  });

  it('dominance is a partial order; concurrent means neither dominates', () => {
    fc.assert(
      fc.property(clock, clock, clock, (a, b, c) => {
        if (dominates(a, b) && dominates(b, c)) expect(dominates(a, c)).toBe(true);
        if (dominates(a, b) && dominates(b, a)) expect(compareClocks(a, b)).toBe('equal');
        expect(concurrent(a, b)).toBe(!dominates(a, b) && !dominates(b, a));
      }),
    );
  });

  it('concrete cases', () => {
    expect(compareClocks({ 'sku:A': 1 }, { 'sku:A': 2 })).toBe('before');
    expect(compareClocks({ 'sku:A': 2, 'sku:B': 1 }, { 'sku:A': 2 })).toBe('after');
    expect(compareClocks({ 'sku:A': 2 }, { 'sku:B': 1 })).toBe('concurrent');
    expect(compareClocks({}, {})).toBe('equal');
  });
});
