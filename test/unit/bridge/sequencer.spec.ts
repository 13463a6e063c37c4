import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { place } from '../../../bridge/consumers/sequencer';

describe('placing an event against the last applied version', () => {
  it('next, duplicate or gap', () => {
    expect(place(0, 1)).toBe('next');
    expect(place(4, 5)).toBe('next');
    expect(place(5, 5)).toBe('duplicate');
    expect(place(5, 2)).toBe('duplicate');
    expect(place(5, 7)).toBe('gap');
    expect(place(0, 2)).toBe('gap');
  });

  it('replaying any at-least-once delivery of 1..n through the placement yields 1..n exactly once', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.array(fc.nat(), { maxLength: 60 }), (n, dupes) => {
        // Deliveries in order with arbitrary re-deliveries of earlier versions mixed in.
        const delivered: number[] = [];
        for (let v = 1; v <= n; v++) {
          delivered.push(v);
          for (const d of dupes.filter((_, i) => i % n === v - 1)) delivered.push((d % v) + 1);
        }
        let last = 0;
        const applied: number[] = [];
        for (const v of delivered) {
          const p = place(last, v);
          expect(p).not.toBe('gap');
          if (p === 'next') applied.push((last = v));
        }
        expect(applied).toEqual(Array.from({ length: n }, (_, i) => i + 1));
      }),
    );
  });
});
