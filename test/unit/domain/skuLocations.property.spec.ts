import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { locationAvailable, locationsOf, type SkuLedger } from '../../../src/domain/sku';
import { locationStep as step } from '../../support/skuLocationSteps';
import { replaySkuSteps } from '../../support/skuSteps';

function checkLocations({ state, reservations }: SkuLedger) {
  const locations = locationsOf(state);
  // Invariant never-oversell-a-location, at every version.
  for (const l of locations) {
    expect(l.reserved).toBeGreaterThanOrEqual(0);
    expect(l.sold).toBeGreaterThanOrEqual(0);
    expect(locationAvailable(l)).toBeGreaterThanOrEqual(0);
  }
  // The SKU's counters are the sums over its locations.
  const sum = (field: 'onHand' | 'reserved' | 'sold') => locations.reduce((n, l) => n + l[field], 0);
  expect([state.onHand, state.reserved, state.sold]).toEqual([sum('onHand'), sum('reserved'), sum('sold')]);
  // Each location's counters are a fold of its own reservation rows.
  for (const l of locations) {
    const rows = [...reservations.values()].filter((r) => (r.location ?? 'default') === l.location);
    expect(l.reserved).toBe(rows.filter((r) => r.status === 'held').reduce((n, r) => n + r.qty, 0));
    expect(l.sold).toBe(rows.filter((r) => r.status === 'completed').reduce((n, r) => n + r.qty, 0));
  }
}

describe('SKU decider with several locations, under random command sequences', () => {
  it('never oversells a location, and the totals are the sums over the locations', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 100 }), (steps) => replaySkuSteps(steps, { afterStep: checkLocations })),
      { numRuns: 500 },
    );
  });
});
