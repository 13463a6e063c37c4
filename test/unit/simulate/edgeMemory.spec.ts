import { describe, expect, it } from 'vitest';
import { simulateSale } from '../../../simulate/sale';
import { smallSale } from './support';

/** The model's sold-out memory at the edge (ADR 0020): refusals answered without an object call, nothing oversold or stranded. */
describe('sold out at the edge, in the model', () => {
  const sale = (edge: boolean) => {
    const base = smallSale({ seed: 11, shards: 4, stock: 100, buyers: 3_000, depth: 64, ttlMs: 3_000, completeShare: 0.5, outage: null });
    return simulateSale({ ...base, edge: edge ? { windowMs: 300, isolates: 4 } : null });
  };

  it('with the memory, most refusals never reach an object and come at once; without it, none does; both sell every unit and oversell none', () => {
    const [on, off] = [sale(true), sale(false)];
    expect(off.edgeRefusals).toBe(0);
    expect(on.edgeRefusals).toBeGreaterThan(on.insufficientStock / 2);
    expect(on.reserveRequests).toBeLessThan(off.reserveRequests);
    expect(on.refusedP50).toBe(0);
    expect(off.refusedP50).toBeGreaterThan(0);
    for (const r of [on, off]) expect({ oversold: r.oversold, stranded: r.stranded, conserved: r.conserved }).toEqual({ oversold: 0, stranded: 0, conserved: true });
  });
});
