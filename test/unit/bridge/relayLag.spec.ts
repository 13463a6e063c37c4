import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WorstRelayLag } from '../../../bridge/ingest/relayLag';
import { createMetrics, RELAY_LAG_WINDOW_MS } from '../../../bridge/metrics';

describe('the worst relay lag per SKU, over a sliding window', () => {
  it('a scrape does not reset it: two scrapes in the window read the same values; past the window they are gone', async () => {
    let now = 1_000_000;
    const metrics = createMetrics(() => now);
    metrics.relayLag.observe('SKU-A', 4.5, now);
    metrics.relayLag.observe('SKU-B', 0.2, now);
    const lagOf = async () => {
      const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === 'bridge_relay_lag_seconds')!;
      return Object.fromEntries(metric.values.map((v) => [v.labels.sku, v.value]));
    };
    expect(await lagOf()).toEqual({ 'SKU-A': 4.5, 'SKU-B': 0.2 });
    now += 1_000;
    await metrics.registry.metrics();
    expect(await lagOf()).toEqual({ 'SKU-A': 4.5, 'SKU-B': 0.2 });
    now += RELAY_LAG_WINDOW_MS;
    expect(await lagOf()).toEqual({});
  });

  it('keeps the `limit` worst SKUs of the window, each at its worst, whatever the order of observations', () => {
    const observation = fc.record({ sku: fc.constantFrom('A', 'B', 'C', 'D', 'E'), seconds: fc.double({ min: 0, max: 100, noNaN: true }), at: fc.integer({ min: 0, max: 9_999 }) });
    fc.assert(
      fc.property(fc.array(observation, { maxLength: 60 }), (observations) => {
        const lag = new WorstRelayLag(3, 10_000, 5);
        for (const o of [...observations].sort((a, b) => a.at - b.at)) lag.observe(o.sku, o.seconds, o.at);
        const worstBySku = new Map<string, number>();
        for (const o of observations) worstBySku.set(o.sku, Math.max(worstBySku.get(o.sku) ?? 0, o.seconds));
        const read = lag.worst(9_999);
        expect(read.size).toBe(Math.min(3, worstBySku.size));
        for (const [sku, seconds] of read) expect(seconds).toBe(worstBySku.get(sku));
        // Nothing left out lags more than what was kept.
        const kept = Math.min(...read.values());
        for (const [sku, seconds] of worstBySku) if (!read.has(sku)) expect(seconds).toBeLessThanOrEqual(kept);
        // Reading changes nothing.
        expect(lag.worst(9_999)).toEqual(read);
      }),
    );
  });

  it('an old slot leaves the window as time moves on, a recent one stays', () => {
    const lag = new WorstRelayLag(5, 60_000, 6);
    lag.observe('OLD', 9, 0);
    lag.observe('NEW', 1, 55_000);
    expect(lag.worst(59_999)).toEqual(new Map([['OLD', 9], ['NEW', 1]]));
    expect(lag.worst(60_000)).toEqual(new Map([['NEW', 1]]));
  });
});
