import { describe, expect, it } from 'vitest';
import { simulateSale } from '../../../simulate/sale';
import { smallSale, type SmallSale } from './support';

const sale = (seed: number): SmallSale => ({ seed, shards: 8, stock: 150, buyers: 500, depth: 16, ttlMs: 3000, completeShare: 0.7, outage: { atMs: 400, durationMs: 2000, location: 1 } });

describe('determinism', () => {
  it('gives the same result for the same seed, and another for another seed', () => {
    const first = simulateSale(smallSale(sale(21)));
    expect(simulateSale(smallSale(sale(21)))).toEqual(first);
    expect(simulateSale(smallSale(sale(22)))).not.toEqual(first);
  });
});
