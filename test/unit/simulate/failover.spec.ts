import { describe, expect, it } from 'vitest';
import { EdgeFailover, homeOf, rehomeOrder } from '../../../simulate/edgeFailover';
import type { Answer } from '../../../simulate/protocol';
import { FAILOVER, REGIONS } from '../../../simulate/regions';
import { scenario } from '../../../simulate/scenarios';
import { customerHash, Sku } from '../../../simulate/sku';
import { World } from '../../../simulate/world';
import { PROFILE } from './support';

/** One SKU over `shards` in the four regions (shard k in region k mod 4), the edge's failover on, one isolate per region. */
function setup(stock: readonly number[], failover = true) {
  const base = scenario('failover', PROFILE, [{ stock: stock.reduce((a, b) => a + b, 0), shards: stock.length, weight: 1, limitPerCustomer: 2 }], 1);
  const world = new World({ ...base, network: { rttMinMs: 4, rttMaxMs: 4 }, admission: { ...base.admission, depth: Number.POSITIVE_INFINITY }, regions: REGIONS, locations: 4, failover: failover ? FAILOVER : null });
  const sku = new Sku(world, world.scenario.skus[0]!);
  sku.shards.forEach((s, i) => (s.sellable = stock[i]!));
  sku.shards.forEach((s) => s.meet(sku.shards));
  return { world, sku, edge: new EdgeFailover(world, FAILOVER, 1, 4) };
}

/** Customers whose home (hash mod N) is shard `index`. */
function customersOf(index: number, shards: number, count: number): number[] {
  const found: number[] = [];
  for (let c = 1; found.length < count; c++) if (customerHash(c) % shards === index) found.push(c);
  return found;
}

let key = 0;
function reserve(world: World, edge: EdgeFailover, sku: Sku, customer: number, region = 0): { answer: Answer | null; by: number | null; ms: number } {
  const sent = world.now;
  const out: { answer: Answer | null; by: number | null; ms: number } = { answer: null, by: null, ms: 0 };
  edge.call(region, sku, customer, { kind: 'reserve', key: ++key, customer, qty: 1 }, (answer, by) => Object.assign(out, { answer, by: by?.index ?? null, ms: world.now - sent }));
  world.clock.run(world.now + 10_000);
  return out;
}

describe('re-homing order', () => {
  it('lists every shard outside the home’s region once, the same for a customer every time, and spreads a lost shard’s customers', () => {
    for (const c of customersOf(0, 16, 40)) {
      const order = rehomeOrder(customerHash(c), 16, 4);
      expect(order).toEqual(rehomeOrder(customerHash(c), 16, 4));
      expect(new Set(order).size).toBe(12);
      expect(order.every((k) => k % 4 !== 0)).toBe(true);
    }
    const firsts = new Set(customersOf(0, 16, 40).map((c) => rehomeOrder(customerHash(c), 16, 4)[0]));
    expect(firsts.size).toBeGreaterThan(4);
  });

  it('homes a customer in the edge’s region when asked to, by the same hash', () => {
    for (let c = 1; c < 200; c++)
      for (let region = 0; region < 4; region++) {
        const home = homeOf(customerHash(c), 64, 4, region, 'edge-region');
        expect(home % 4).toBe(region);
        expect(home).toBeLessThan(64);
      }
    expect(homeOf(customerHash(7), 64, 4, 2, 'customer')).toBe(customerHash(7) % 64);
  });
});

describe('the edge’s breaker', () => {
  it('pays the connect bound once, re-homes to a live shard in another region, then re-homes the next buyer at once', () => {
    const { world, sku, edge } = setup(Array<number>(8).fill(5));
    sku.shards.filter((s) => s.location === 0).forEach((s) => s.fail());
    const [first, second] = customersOf(0, 8, 2);
    const a = reserve(world, edge, sku, first!);
    expect(a.answer?.code).toBe('reserved');
    expect(a.by! % 4).not.toBe(0);
    expect(a.ms).toBeGreaterThanOrEqual(FAILOVER.connectBoundMs);
    expect(world.metrics.failover.trips).toBe(1);
    const b = reserve(world, edge, sku, second!);
    expect(b.answer?.code).toBe('reserved');
    expect(b.ms).toBeLessThan(FAILOVER.connectBoundMs);
    // The region's other shard was probed at once: its customers do not wait either.
    const [other] = customersOf(4, 8, 1);
    expect(reserve(world, edge, sku, other!).ms).toBeLessThan(FAILOVER.connectBoundMs);
  });

  it('answers a complete homed at a dead shard 503 at once (never re-homed), and closes once the shard is back', () => {
    const { world, sku, edge } = setup(Array<number>(8).fill(5));
    const [c] = customersOf(0, 8, 1);
    sku.shards[0]!.fail();
    reserve(world, edge, sku, c!);
    let answer: Answer | null = null;
    const reservation = { id: 1, customer: c!, qty: 1, expiresAt: 1e9, state: 'held' as const };
    edge.call(0, sku, c!, { kind: 'complete', key: ++key, reservation }, (a) => (answer = a));
    world.clock.run(world.now + 10);
    expect(answer).toEqual({ code: 'unavailable' });
    sku.shards[0]!.restart();
    world.clock.at(world.now + FAILOVER.probeEveryMs + 1000, () => {});
    world.clock.run();
    const back = reserve(world, edge, sku, c!);
    expect(back.by).toBe(0);
    expect(world.metrics.failover.rehomed).toBe(1);
  });
});

describe('a shard during failover', () => {
  it('refuses from the stock it can reach, holding the lost shard’s units unsellable (not stranded), where without failover it answers 503', () => {
    for (const failover of [true, false]) {
      const { world, sku } = setup([5, 0, 0, 0], failover);
      sku.shards[0]!.fail();
      let answer: Answer | null = null;
      sku.shards[1]!.receive({ kind: 'reserve', key: ++key, customer: 1, qty: 1 }, (a) => (answer = a));
      world.clock.run(world.now + 10_000);
      expect(answer).toEqual({ code: failover ? 'insufficient_stock' : 'unavailable' });
      expect(sku.stranded).toBe(0);
    }
  });

  it('announces itself when its region returns: its units are pending until every sibling heard, then sold', () => {
    const { world, sku } = setup([5, 0, 0, 0]);
    sku.shards[0]!.fail();
    sku.shards[1]!.receive({ kind: 'reserve', key: ++key, customer: 1, qty: 1 }, () => {});
    world.clock.run(world.now + 10_000);
    sku.shards[0]!.restart();
    expect(sku.shards[0]!.sellable).toBe(0);
    expect(sku.shards[0]!.pending).toBe(5);
    world.clock.run(world.now + 1000);
    expect(sku.shards[0]!.sellable).toBe(5);
    expect([1, 2, 3].every((i) => !sku.shards[i]!.isSuspect(sku.shards[0]!) && sku.shards[i]!.unconfirmed.has(sku.shards[0]!))).toBe(true);
    let answer: Answer | null = null;
    sku.shards[1]!.receive({ kind: 'reserve', key: ++key, customer: 2, qty: 1 }, (a) => (answer = a));
    world.clock.run(world.now + 10_000);
    expect(answer).toMatchObject({ code: 'reserved' });
    expect(sku.stranded).toBe(0);
    expect(sku.conserved()).toBe(true);
  });
});
