import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { locationAvailable, locationsOf, type SkuCommand, type SkuLedger } from '../../../src/domain/sku';
import { replaySkuSteps } from '../../support/skuSteps';

const SKU = 'HOT-1';
const ids = ['res_a', 'res_b', 'res_c', 'res_d', 'res_e', 'res_f'];
const customers = ['alice', 'bob', 'carol'];
// `undefined`: the implicit `default` location, as a SKU that named none uses it.
const location = fc.constantFrom('AMS-1', 'EWR-1', 'SIN-1', undefined);
const region = fc.option(fc.constantFrom('eu', 'us', 'asia'), { nil: undefined });

const id = fc.constantFrom(...ids);
const customer = fc.constantFrom(...customers);

const command: fc.Arbitrary<SkuCommand> = fc.oneof(
  fc.record({ onHand: fc.integer({ min: 0, max: 12 }), location, priority: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }), region })
    .map(({ location: l, priority, region: r, onHand }) => ({
      type: 'SetStock' as const,
      data: { sku: SKU, onHand, location: l, ...(l === undefined ? {} : { priority, region: r }) },
    })),
  fc.record({ qty: fc.integer({ min: 1, max: 5 }), location }).map((d) => ({ type: 'ReceiveStock' as const, data: { sku: SKU, ...d } })),
  {
    weight: 5,
    arbitrary: fc
      .record({ reservationId: id, customerId: customer, qty: fc.integer({ min: 1, max: 6 }), ttlSeconds: fc.integer({ min: 1, max: 20 }), region })
      .map((d) => ({ type: 'Reserve' as const, data: { sku: SKU, ...d } })),
  },
  fc.record({ reservationId: id, customerId: customer }).map((data) => ({ type: 'CompletePurchase' as const, data })),
  fc.record({ reservationId: id, customerId: customer }).map((data) => ({ type: 'CancelReservation' as const, data })),
  fc.record({ reservationId: id }).map((data) => ({ type: 'ExpireReservation' as const, data })),
  fc.record({ reservationId: id }).map((data) => ({ type: 'AdminRelease' as const, data })),
  fc.record({ reservationId: id, reason: fc.constantFrom('wms_timeout' as const, 'wms_rejected' as const) })
    .map((data) => ({ type: 'FailAllocation' as const, data })),
);
const step = fc.record({ advanceMs: fc.integer({ min: 0, max: 8_000 }), command });

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
