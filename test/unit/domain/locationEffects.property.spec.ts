import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evolve, initialSkuState, locationEffects, locationsOf, type SkuState } from '../../../src/domain/sku';
import { locationStep } from '../../support/skuLocationSteps';
import { replaySkuSteps } from '../../support/skuSteps';

type Totals = Map<string, { onHand: number; reserved: number; sold: number; lent: number }>;

function add(totals: Totals, before: SkuState, after: SkuState): void {
  for (const e of locationEffects(before, after)) {
    const t = totals.get(e.location) ?? { onHand: 0, reserved: 0, sold: 0, lent: 0 };
    totals.set(e.location, { onHand: t.onHand + e.onHand, reserved: t.reserved + e.reserved, sold: t.sold + e.sold, lent: t.lent + e.lent });
  }
}

describe('locationEffects: what each event did to each location', () => {
  it('summed over a log, gives every location\'s counters (the audit archive ties to the objects)', () => {
    fc.assert(
      fc.property(fc.array(locationStep, { maxLength: 80 }), (steps) => {
        let state = initialSkuState();
        const totals: Totals = new Map();
        replaySkuSteps(steps, {
          onEvent: (event) => {
            const next = evolve(state, event);
            add(totals, state, next);
            state = next;
          },
          afterStep: () => undefined,
        });
        const expected = new Map(locationsOf(state).filter((l) => l.onHand || l.reserved || l.sold || l.lent).map((l) => [l.location, { onHand: l.onHand, reserved: l.reserved, sold: l.sold, lent: l.lent }]));
        const nonZero = new Map([...totals].filter(([, t]) => t.onHand || t.reserved || t.sold || t.lent));
        expect(nonZero).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('names only the locations that changed, each field signed', () => {
    const before = { ...initialSkuState(), sku: 'A', locations: [{ location: 'AMS-1', onHand: 10, reserved: 2, sold: 1, priority: 0, region: null, feed: null, lent: 0 }, { location: 'EWR-1', onHand: 5, reserved: 0, sold: 0, priority: 0, region: null, feed: null, lent: 0 }], onHand: 15, reserved: 2, sold: 1 };
    const after = { ...before, locations: [{ ...before.locations[0]!, reserved: 0, sold: 3 }, before.locations[1]!], reserved: 0, sold: 3 };
    expect(locationEffects(before, after)).toEqual([{ location: 'AMS-1', onHand: 0, reserved: -2, sold: 2, lent: 0 }]);
    expect(locationEffects(after, after)).toEqual([]);
  });

  it('reads a SKU without named locations as its implicit default', () => {
    const before = { ...initialSkuState(), sku: 'A', onHand: 4 };
    expect(locationEffects(before, { ...before, onHand: 9, reserved: 1 })).toEqual([{ location: 'default', onHand: 5, reserved: 1, sold: 0, lent: 0 }]);
  });
});
