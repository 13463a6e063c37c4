import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Isolates } from '../../../simulate/groupCommit';
import * as hints from '../../../simulate/hints';
import type { Admission, Borrowing, GroupCommit, Scenario } from '../../../simulate/params';
import type { Answer } from '../../../simulate/protocol';
import { runSale } from '../../../simulate/sale';
import { BORROWING, scenario } from '../../../simulate/scenarios';
import { Sku } from '../../../simulate/sku';
import { World } from '../../../simulate/world';
import { expectSettled, PROFILE, smallSale, type SmallSale } from './support';

type Options = { admission?: Partial<Admission>; borrowing?: Partial<Borrowing>; groupCommit?: Partial<GroupCommit> };

/** One SKU of `stock` over `shards` (stock per shard as given, else even), 4 ms round trips, no depth bound unless set. */
function setup(stock: number | readonly number[], shards: number, o: Options = {}) {
  const total = typeof stock === 'number' ? stock : stock.reduce((a, b) => a + b, 0);
  const base = scenario('tail', PROFILE, [{ stock: total, shards, weight: 1, limitPerCustomer: 10 }], 1);
  const world = new World({
    ...base,
    network: { rttMinMs: 4, rttMaxMs: 4 },
    admission: { ...base.admission, depth: Number.POSITIVE_INFINITY, ...o.admission },
    borrowing: { ...base.borrowing, ...o.borrowing },
    groupCommit: { ...base.groupCommit, ...o.groupCommit },
  });
  const sku = new Sku(world, world.scenario.skus[0]!);
  if (typeof stock !== 'number') sku.shards.forEach((s, i) => (s.sellable = stock[i]!));
  if (typeof stock !== 'number') sku.shards.forEach((s) => s.meet(sku.shards));
  return { world, sku };
}

let key = 0;
/** Reserves of `qty` sent at once to each of `shards`; the answers and when each came (ms after sending). */
function reserveAll(world: World, sku: Sku, shards: readonly number[], qty = 1): { code: string; at: number }[] {
  const sent = world.now;
  const answers: { code: string; at: number }[] = [];
  for (const i of shards) {
    key++;
    sku.shards[i]!.receive({ kind: 'reserve', key, customer: key, qty }, (a: Answer) => answers.push({ code: a.code, at: world.now - sent }));
  }
  world.clock.run(world.now + 60_000);
  return answers;
}

describe('the options default to today’s protocol', () => {
  it('every borrowing option is off and admission bounds depth, counting parked buyers', () => {
    const s = scenario('defaults', PROFILE, [], 1);
    expect(s.borrowing).toEqual(BORROWING);
    expect(BORROWING).toEqual({ settle: 'per-buyer', emptyFanout: false, hintGossip: false, siblingBatch: false });
    expect(s.admission).toMatchObject({ rule: 'depth', parkedCount: true, parkedCap: Number.POSITIVE_INFINITY });
    expect(s.groupCommit.releaseOnPark).toBe(false);
  });
});

describe('the sojourn rule (the product’s admission)', () => {
  it('answers 503 a buyer command that waited past the bound, when it would start, at no service cost', () => {
    const { world, sku } = setup(1000, 1, { admission: { rule: 'sojourn', maxWaitMs: 20 } });
    const answers = reserveAll(world, sku, Array<number>(60).fill(0));
    const shed = answers.filter((a) => a.code === 'overloaded');
    const reserved = answers.filter((a) => a.code === 'reserved');
    expect(reserved.length + shed.length).toBe(60);
    // ~2 ms each: about 10 start within 20 ms of waiting; the rest are shed without running.
    expect(reserved.length).toBeGreaterThan(3);
    expect(reserved.length).toBeLessThan(30);
    expect(shed.every((a) => a.at > 20)).toBe(true);
    expect(world.metrics.commands).toBe(reserved.length + 1); // and the projection flush
  });

  it('never sheds a parked buyer, but parkedCap bounds how many park', () => {
    // Shard 1 is dry; shard 0 holds 5 units it will lend.
    const { world, sku } = setup([5, 0], 2, { admission: { rule: 'sojourn', maxWaitMs: 1000, parkedCap: 3 } });
    const answers = reserveAll(world, sku, Array<number>(10).fill(1));
    expect(answers.filter((a) => a.code === 'overloaded').length).toBeGreaterThan(0);
    expect(answers.filter((a) => a.code === 'reserved').length).toBeLessThanOrEqual(5);
    expect(world.metrics.maxDepth).toBeGreaterThan(0);
    expect(sku.conserved()).toBe(true);
  });
});

describe('batched settle', () => {
  it('decides n parked buyers in a group-commit batch’s time, not n commands’', () => {
    const mean = (settle: Borrowing['settle']) => {
      const { world } = setup(0, 1, { borrowing: { settle } });
      let sum = 0;
      for (let i = 0; i < 300; i++) sum += world.settleMs(63);
      return sum / 300;
    };
    // 64 commands of 2 ms against 2 ms × (3 + 0.5 · 64) / 3.5 = 20 ms.
    expect(mean('per-buyer')).toBeGreaterThan(100);
    expect(mean('batch')).toBeLessThan(30);
  });
});

describe('asking siblings believed empty at once', () => {
  it('refuses in about one round trip instead of one per sibling once the levels say the SKU is empty', () => {
    const refusalAt = (emptyFanout: boolean) => {
      // Every shard believes its siblings hold what they started with: nothing.
      const { world, sku } = setup(0, 8, { borrowing: { emptyFanout } });
      const [answer] = reserveAll(world, sku, [7]);
      expect(answer?.code).toBe('insufficient_stock');
      expect(sku.shards[7]!.latched).toBe(true);
      return answer!.at;
    };
    const one = refusalAt(false);
    const all = refusalAt(true);
    expect(one).toBeGreaterThan(7 * 4);
    expect(all).toBeLessThan(one / 2);
  });

  it('still asks siblings believed to hold units one at a time first', () => {
    const { world, sku } = setup([0, 0, 0, 4, 0, 0, 0, 0], 8, { borrowing: { emptyFanout: true } });
    expect(reserveAll(world, sku, [7], 2)[0]?.code).toBe('reserved');
    expect(world.metrics.visits).toBe(1);
    expect(world.metrics.lateTransfers).toBe(0);
  });
});

describe('level gossip', () => {
  it('keeps, for each sibling, the freshest level heard, directly or through another', () => {
    const { sku } = setup(80, 4);
    const [a, b, c] = sku.shards;
    hints.learn(a!, c!, 7, 10);
    hints.merge(a!, [[c!, 3, 5], [b!, 0, 12], [a!, 99, 20]]);
    expect(a!.hints.get(c!)).toBe(7); // 5 is older than 10
    expect(a!.hints.get(b!)).toBe(0);
    expect(a!.hints.has(a!)).toBe(false);
    b!.sellable = 2;
    const told = hints.snapshot(b!);
    expect(told[0]).toEqual([b, 2, 0]);
    hints.merge(c!, told);
    expect(c!.hints.get(b!)).toBe(2);
  });

  it('lets a shard that never asked a sibling learn it is empty, so the sell-out ends sooner', () => {
    const walks = (hintGossip: boolean) => {
      const { world, sku } = setup(0, 16, { borrowing: { emptyFanout: true, hintGossip } });
      reserveAll(world, sku, [0]);
      // Shard 0 told its siblings it is empty; shard 1 heard nothing directly but asks at once.
      const [answer] = reserveAll(world, sku, [1]);
      expect(answer?.code).toBe('insufficient_stock');
      return answer!.at;
    };
    expect(walks(true)).toBeLessThanOrEqual(walks(false));
  });
});

describe('batched sibling requests', () => {
  it('runs transfer requests queued at one object as one command, with the same answers', () => {
    const run = (siblingBatch: boolean) => {
      const { world, sku } = setup(0, 8, { borrowing: { emptyFanout: true, siblingBatch } });
      const answers = reserveAll(world, sku, [0, 1, 2, 3, 4, 5, 6, 7]);
      expect(answers.map((a) => a.code)).toEqual(Array<string>(8).fill('insufficient_stock'));
      expect(sku.shards.every((s) => s.latched)).toBe(true);
      return world.metrics.commands;
    };
    // Off: 8 × (1 reserve + 7 transfer requests + 1 settle) = 72 commands.
    expect(run(true)).toBeLessThan(run(false) * 0.7);
  });
});

describe('a group-commit lane released when its reserve parks', () => {
  it('sends the reserves queued behind a parked one before the parked one is answered', () => {
    const callsWhileParked = (releaseOnPark: boolean) => {
      // Shard 0 is dry and its only sibling is down: a walk waits 250 ms for it.
      const { world, sku } = setup([0, 10], 2, { groupCommit: { max: 4, where: 'worker', isolates: 1, releaseOnPark } });
      sku.shards[1]!.fail();
      const isolates = new Isolates(world);
      const answers: string[] = [];
      for (let i = 0; i < 3; i++) isolates.call(sku.shards[0]!, { kind: 'reserve', key: 1000 + i, customer: 1000 + i, qty: 1 }, (a) => answers.push(a.code));
      world.clock.run(100);
      const calls = world.metrics.reserveCalls;
      world.clock.run(60_000);
      expect(answers).toHaveLength(3);
      expect(answers.every((c) => c === 'unavailable')).toBe(true);
      return calls;
    };
    expect(callsWhileParked(false)).toBe(1);
    expect(callsWhileParked(true)).toBe(2);
  });
});

const ALL_ON = (s: Scenario): Scenario => ({
  ...s,
  admission: { ...s.admission, rule: 'sojourn', maxWaitMs: 50 },
  borrowing: { settle: 'batch', emptyFanout: true, hintGossip: true, siblingBatch: true },
  groupCommit: { ...s.groupCommit, releaseOnPark: true },
});

describe('with every tail option on: every unit accounted for', () => {
  const sale: fc.Arbitrary<SmallSale> = fc.record({
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    shards: fc.constantFrom(1, 2, 3, 5, 8, 13),
    stock: fc.integer({ min: 0, max: 300 }),
    buyers: fc.integer({ min: 20, max: 600 }),
    depth: fc.constantFrom(8, Number.POSITIVE_INFINITY),
    ttlMs: fc.integer({ min: 300, max: 20_000 }),
    completeShare: fc.double({ min: 0, max: 1, noNaN: true }),
    outage: fc.option(fc.record({ atMs: fc.integer({ min: 0, max: 5000 }), durationMs: fc.integer({ min: 50, max: 10_000 }), location: fc.integer({ min: 0, max: 3 }) }), { nil: null }),
    batchMax: fc.constantFrom(1, 4, 64),
    walkFanout: fc.constantFrom(1, 4),
  });

  it('never oversells, never refuses while units are sellable, and settles', () => {
    fc.assert(
      fc.property(sale, (c) => {
        const { world, skus } = runSale(ALL_ON(smallSale(c)));
        for (const sku of skus) expectSettled(sku);
        expect(world.metrics.completed).toBeLessThanOrEqual(world.metrics.accepted);
      }),
      { numRuns: 150 },
    );
  }, 120_000);
});
