import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Random } from '../../../bench/lib/random';

describe('the seeded generator shared by the simulator and the torture run', () => {
  it('gives one sequence per seed, another for another seed', () => {
    const draw = (seed: number) => {
      const r = new Random(seed);
      return Array.from({ length: 20 }, () => r.next());
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });

  it('draws integers within both bounds, each bound reached', () => {
    fc.assert(fc.property(fc.integer(), fc.integer({ min: -50, max: 50 }), fc.integer({ min: 0, max: 5 }), (seed, min, span) => {
      const r = new Random(seed);
      const seen = new Set(Array.from({ length: 400 }, () => r.int(min, min + span)));
      expect([...seen].every((n) => Number.isInteger(n) && n >= min && n <= min + span)).toBe(true);
      expect(seen.has(min) && seen.has(min + span)).toBe(true);
    }));
  });

  it('picks from what it is given, and refuses to pick from nothing', () => {
    const r = new Random(1);
    const items = ['a', 'b', 'c'];
    expect(new Set(Array.from({ length: 100 }, () => r.pick(items)))).toEqual(new Set(items));
    expect(() => r.pick([])).toThrow('pick from an empty array');
    expect(r.hex(16)).toMatch(/^[0-9a-f]{16}$/);
  });

  it('a chance of p comes true about p of the time (0.5 when not said)', () => {
    const r = new Random(42);
    const share = (p?: number) => Array.from({ length: 10_000 }, () => r.chance(p)).filter(Boolean).length / 10_000;
    expect(share(0.2)).toBeCloseTo(0.2, 1);
    expect(share()).toBeCloseTo(0.5, 1);
    expect(share(0)).toBe(0);
  });
});
