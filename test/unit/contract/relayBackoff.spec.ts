import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { relayBackoffMs } from '../../../durable-objects/relay/state';

describe('outbox push backoff', () => {
  it('doubles from 500 ms up to the ceiling, jittered within [50%, 100%]', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1000, max: 3_600_000 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempts, max, random) => {
        const base = Math.min(max, 500 * 2 ** (attempts - 1));
        const delay = relayBackoffMs(attempts, max, random);
        expect(delay).toBeGreaterThanOrEqual(Math.floor(base / 2));
        expect(delay).toBeLessThanOrEqual(base);
      }),
    );
  });

  it('concrete steps without jitter', () => {
    expect([1, 2, 3, 4, 8, 40].map((n) => relayBackoffMs(n, 30_000, 0.999999))).toEqual([500, 1000, 2000, 4000, 30_000, 30_000]);
    expect(relayBackoffMs(3, 30_000, 0)).toBe(1000);
  });
});
