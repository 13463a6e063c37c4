import { describe, expect, it } from 'vitest';
import type { Answer } from '../../../simulate/protocol';
import { simulateSale } from '../../../simulate/sale';
import { scenario } from '../../../simulate/scenarios';
import { Sku } from '../../../simulate/sku';
import { World } from '../../../simulate/world';
import { PROFILE, smallSale, type SmallSale } from './support';

/** One SKU of `stock` units over `shards`, 4 ms round trips, no admission bound, walks of `walkFanout`. */
function setup(stock: number, shards: number, walkFanout: number) {
  const base = scenario('fan-out', PROFILE, [{ stock, shards, weight: 1, limitPerCustomer: 10 }], 1, { walkFanout });
  const world = new World({ ...base, network: { rttMinMs: 4, rttMaxMs: 4 }, admission: { ...base.admission, depth: Number.POSITIVE_INFINITY } });
  return { world, sku: new Sku(world, world.scenario.skus[0]!) };
}

let key = 0;
/** A buyer's reserve of `qty` sent to `shard` and run to quiescence: the answer and when it came. */
function reserve(world: World, sku: Sku, shard: number, qty: number): { answer: Answer | null; at: number } {
  const sent = world.now;
  let answer: Answer | null = null;
  let at = 0;
  key++;
  sku.shards[shard]!.receive({ kind: 'reserve', key, customer: key, qty }, (a) => {
    answer = a;
    at = world.now - sent;
  });
  world.clock.run(world.now + 60_000);
  return { answer, at };
}

describe('a walk asking several siblings at once', () => {
  it('gathers one unit from each of seven siblings in about one round trip instead of seven', () => {
    const walkWith = (walkFanout: number) => {
      // 7 units over 8 shards: shards 0–6 hold one each, shard 7 none.
      const { world, sku } = setup(7, 8, walkFanout);
      const { answer, at } = reserve(world, sku, 7, 7);
      expect(answer?.code).toBe('reserved');
      expect({ visits: world.metrics.visits, transfers: world.metrics.transfers, late: world.metrics.lateTransfers }).toEqual({ visits: 7, transfers: 7, late: 0 });
      return at;
    };
    const one = walkWith(1);
    const all = walkWith(Number.POSITIVE_INFINITY);
    expect(one).toBeGreaterThan(7 * 4);
    expect(all).toBeLessThan(one / 2);
  });

  it('ends once it has what it needs; later answers are taken in as units coming back, none lost or made', () => {
    // 4 units per shard; shard 0 lacks 3 and asks all 7 siblings for 3: each gives 3 (more than half of 4).
    const { world, sku } = setup(32, 8, Number.POSITIVE_INFINITY);
    expect(reserve(world, sku, 0, 7).answer?.code).toBe('reserved');
    expect({ transfers: world.metrics.transfers, late: world.metrics.lateTransfers, lateUnits: world.metrics.lateUnits }).toEqual({ transfers: 7, late: 6, lateUnits: 18 });
    expect(sku.inTransit).toBe(0);
    expect(sku.conserved()).toBe(true);
    expect(sku.sellable).toBe(32 - 7);
    expect(sku.shards[0]!.sellable).toBe(18);
  });

  it('refuses only once every sibling is known empty, as one at a time does', () => {
    // 4 units over 8 shards: 0–3 hold one each. Shard 7 walks 4 at a time.
    const { world, sku } = setup(4, 8, 4);
    expect(reserve(world, sku, 7, 2).answer?.code).toBe('reserved');
    expect(world.metrics.lateTransfers).toBe(2);
    // The late units sell at shard 7 without a walk; then it asks the siblings it never asked, finds them empty, and refuses.
    expect(reserve(world, sku, 7, 2).answer?.code).toBe('reserved');
    expect(reserve(world, sku, 7, 1).answer?.code).toBe('insufficient_stock');
    expect(sku.shards[7]!.latched).toBe(true);
    expect(sku.stranded).toBe(0);
    expect(sku.conserved()).toBe(true);
  });
});

describe('fan-out 1', () => {
  it('is the model as it was before fan-out: the same sales, event for event', () => {
    // Pinned from the model before walkFanout existed (main at 77b53e0), same sales.
    const pinned: [SmallSale, Record<string, number>][] = [
      [
        { seed: 3, shards: 8, stock: 100, buyers: 600, depth: 64, ttlMs: 60_000, completeShare: 1, outage: null },
        { accepted: 86, answerP99: 58.22903685301773, overloaded: 0, unavailable: 0, insufficientStock: 614, commands: 425, events: 9800, walks: 14, visits: 60, transfers: 8, unitsMoved: 11, undrains: 0 },
      ],
      [
        { seed: 11, shards: 8, stock: 200, buyers: 600, depth: 64, ttlMs: 60_000, completeShare: 1, outage: { atMs: 300, durationMs: 3000, location: 0 } },
        { accepted: 161, answerP99: 6963.632943633021, overloaded: 0, unavailable: 539, insufficientStock: 475, commands: 1012, events: 9702, walks: 24, visits: 78, transfers: 10, unitsMoved: 22, undrains: 3 },
      ],
      [
        { seed: 5, shards: 13, stock: 150, buyers: 500, depth: 8, ttlMs: 3000, completeShare: 0.6, outage: null, batchMax: 4 },
        { accepted: 220, answerP99: 92.31947405702823, overloaded: 0, unavailable: 0, insufficientStock: 1066, commands: 2398, events: 11219, walks: 155, visits: 665, transfers: 58, unitsMoved: 75, undrains: 489 },
      ],
    ];
    for (const [sale, expected] of pinned) {
      const r = simulateSale(smallSale({ ...sale, walkFanout: 1 }));
      const got = Object.fromEntries(Object.keys(expected).map((k) => [k, r[k as keyof typeof r]]));
      expect(got).toEqual(expected);
      expect(r.lateTransfers).toBe(0);
    }
  });
});
