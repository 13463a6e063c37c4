import { describe, expect, it } from 'vitest';
import { hoardingRow } from '../../../bridge/metrics';

/** Issue 26: the hoarding signals the bridge exports per SKU (bridge_sku_hoarding) and alerts on. */
describe('a SKU\'s hoarding signals', () => {
  it('the top holder\'s share of the stock on hand, and the units let expire over those that ended a hold', () => {
    expect(hoardingRow({ sku: 'S', counters: { onHand: 200, sold: 30 }, hoarding: { topHolders: [{ units: 20 }, { units: 3 }], expiredUnits: 90 } }))
      .toEqual({ sku: 'S', topHolderShare: 0.1, expiredUnboughtRatio: 0.75 });
  });
  it('is 0 where nothing is on hand, nothing ended, or the edge told nothing of hoarding', () => {
    expect(hoardingRow({ sku: 'S', counters: { onHand: 0, sold: 0 }, hoarding: { topHolders: [], expiredUnits: 0 } })).toEqual({ sku: 'S', topHolderShare: 0, expiredUnboughtRatio: 0 });
    expect(hoardingRow({ sku: 'S', counters: { onHand: 10, sold: 5 } })).toEqual({ sku: 'S', topHolderShare: 0, expiredUnboughtRatio: 0 });
  });
});
