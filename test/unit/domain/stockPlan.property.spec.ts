import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { layoutRefusal, planStock, spread, type ShardStock, type SkuCounters } from '../../../src/domain/sku';

/** A shard as the edge reads it: what it holds, what of it is taken, and its loans (lent > 0, borrowed < 0). */
const shard = (layout: number, limitPerCustomer: number | null) =>
  fc.record({ free: fc.nat(40), reserved: fc.nat(10), sold: fc.nat(10), lent: fc.integer({ min: -15, max: 15 }), version: fc.integer({ min: 1, max: 50 }) })
    .map(({ free, reserved, sold, lent, version }): ShardStock => ({
      counters: counters({ onHand: free + reserved + sold, reserved, sold, available: free, version, limitPerCustomer, ...(layout > 1 ? { shards: layout } : {}) }),
      lent,
    }));

const counters = (c: Omit<SkuCounters, 'sku' | 'asOf'>): SkuCounters => ({ sku: 'HOT-1', asOf: null, ...c });

/** A sharded SKU read for a plan: its current layout, and one read per shard of the wanted layout (new ones empty). */
const reads = fc.integer({ min: 1, max: 6 }).chain((layout) =>
  fc.tuple(fc.constant(layout), fc.integer({ min: layout, max: 8 }), fc.option(fc.integer({ min: 1, max: 5 }), { nil: null })).chain(([layout, shards, limit]) =>
    fc.record({
      layout: fc.constant(layout),
      shards: fc.constant(shards),
      parts: fc.tuple(...Array.from({ length: layout }, () => shard(layout, limit))).map((held): ShardStock[] => [...held, ...Array<ShardStock>(shards - layout).fill(null)]),
    })));

const total = (parts: readonly ShardStock[], f: (p: NonNullable<ShardStock>) => number) => parts.reduce((n, p) => n + (p ? f(p) : 0), 0);
const stockOf = (parts: readonly ShardStock[]) => total(parts, (p) => p.counters.onHand + p.lent);
const committedOf = (parts: readonly ShardStock[]) => total(parts, (p) => p.counters.reserved + p.counters.sold);
const freeOf = (parts: readonly ShardStock[]) => total(parts, (p) => p.counters.available);

describe('a layout grows, never shrinks', () => {
  it('refuses exactly a smaller shard count', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 64 }), (current, wanted) => {
      const refusal = layoutRefusal(current, wanted);
      expect(refusal === null).toBe(wanted >= current);
      if (refusal) expect(refusal).toEqual({ code: 'invalid_command', reason: `shards can grow but not shrink (it is ${current})` });
    }));
  });
});

describe('planning a sharded SKU\'s stock', () => {
  it('moves the stock exactly to the target, never taking from a shard more than it has free', () => {
    fc.assert(fc.property(reads, fc.nat(400), ({ parts, shards }, extra) => {
      const onHand = committedOf(parts) + extra;
      const plan = planStock({ onHand, limitPerCustomer: null }, parts, shards);
      if (!plan.ok || plan.value === 'in_flight') return;
      expect(plan.value).toHaveLength(shards);
      expect(plan.value.reduce((n, a) => n + a.delta, 0)).toBe(onHand - stockOf(parts));
      plan.value.forEach((a, k) => {
        expect(-a.delta).toBeLessThanOrEqual(parts[k]?.counters.available ?? 0);
        expect(a).toMatchObject({ shards, limitPerCustomer: null });
      });
    }));
  });

  it('adds evenly: every shard gets its share, give or take a unit', () => {
    fc.assert(fc.property(reads, fc.nat(400), ({ parts, shards }, added) => {
      const plan = planStock({ onHand: stockOf(parts) + added, limitPerCustomer: null }, parts, shards);
      if (!plan.ok || plan.value === 'in_flight') return;
      const deltas = plan.value.map((a) => a.delta);
      expect(Math.min(...deltas)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...deltas) - Math.min(...deltas)).toBeLessThanOrEqual(1);
    }));
  });

  it('waits for units on their way between shards when the free ones cannot cover a removal', () => {
    fc.assert(fc.property(reads, fc.nat(400), ({ parts, shards }, extra) => {
      const onHand = committedOf(parts) + extra;
      const plan = planStock({ onHand, limitPerCustomer: null }, parts, shards);
      expect(plan.ok).toBe(true);
      expect(plan.ok && plan.value === 'in_flight').toBe(stockOf(parts) - onHand > freeOf(parts));
    }));
  });

  it('refuses to go below what is reserved or sold over every shard', () => {
    fc.assert(fc.property(reads, fc.integer({ min: 1, max: 20 }), ({ parts, shards }, short) => {
      const committed = committedOf(parts);
      fc.pre(committed >= short);
      expect(planStock({ onHand: committed - short }, parts, shards)).toEqual({ ok: false, error: { code: 'below_committed', committed } });
    }));
  });

  it('checks the expected version against the summed version', () => {
    fc.assert(fc.property(reads, fc.integer({ min: 1, max: 5 }), ({ parts, shards }, off) => {
      const version = total(parts, (p) => p.counters.version);
      const onHand = committedOf(parts) + freeOf(parts);
      expect(planStock({ onHand, limitPerCustomer: null, expectedVersion: version + off }, parts, shards)).toEqual({
        ok: false, error: { code: 'version_conflict', currentVersion: version, expectedVersion: version + off },
      });
      expect(planStock({ onHand, limitPerCustomer: null, expectedVersion: version }, parts, shards).ok).toBe(true);
    }));
  });

  it('keeps the limit per customer unless told otherwise, and moves homes only while nothing is held or sold under one', () => {
    fc.assert(fc.property(reads, ({ parts, shards, layout }) => {
      const limit = parts[0]!.counters.limitPerCustomer;
      const onHand = committedOf(parts) + freeOf(parts);
      const plan = planStock({ onHand }, parts, shards);
      if (shards !== layout && limit !== null && committedOf(parts) > 0) {
        expect(plan).toEqual({ ok: false, error: { code: 'invalid_command', reason: 'with a per-customer limit, the shard count changes only while nothing is held or sold' } });
      } else if (plan.ok && plan.value !== 'in_flight') {
        expect(plan.value.every((a) => a.limitPerCustomer === limit)).toBe(true);
      }
    }));
  });
});

describe('spreading a change over shards', () => {
  it.each([
    [7, [0, 0, 0], [3, 2, 2]],
    [-5, [2, 4, 9], [-2, -3, 0]],
    [-16, [2, 4, 9], null],
    [0, [1, 1], [0, 0]],
  ])('%i over free units %j → %j', (delta, free, expected) => {
    // A shard left alone gets a delta of -0 when units are removed: the same adjustment as 0.
    expect(spread(delta, free)?.map((d) => d + 0) ?? null).toEqual(expected);
  });
});
