import { describe, expect, it } from 'vitest';
import { fitLine } from '../../../bench/lib/fit';

describe('fitLine (least squares)', () => {
  it('recovers a line through exact points', () => {
    const { a, b } = fitLine([1, 2, 4, 8, 64].map((x) => ({ x, y: 2.5 + 0.4 * x })));
    expect(a).toBeCloseTo(2.5, 10);
    expect(b).toBeCloseTo(0.4, 10);
  });

  it('splits the residuals evenly: symmetric noise leaves the line where it was', () => {
    const { a, b } = fitLine([
      { x: 0, y: 1.1 },
      { x: 0, y: 0.9 },
      { x: 10, y: 21.1 },
      { x: 10, y: 20.9 },
    ]);
    expect(a).toBeCloseTo(1, 10);
    expect(b).toBeCloseTo(2, 10);
  });

  it('refuses points that do not fix a slope', () => {
    expect(() => fitLine([{ x: 3, y: 1 }, { x: 3, y: 2 }])).toThrow();
  });
});
