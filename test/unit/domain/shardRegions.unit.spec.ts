import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LOCATION_HINTS, regionOfShard, regionsRefusal, rehomeShard, ShardRegionsSchema, skuCounters, skuLedgerDecider, sumCounters, type ShardRegion, type SkuEvent } from '../../../src/domain/sku';
import { fold } from '../../../src/domain/core/decider';
import { deciderSpec } from '../../support/deciderSpec';

const NOW = Date.parse('2026-12-07T12:00:00.000Z');
const at = new Date(NOW).toISOString();
const spec = deciderSpec(skuLedgerDecider, NOW);
const S1 = 'HOT-1~1';
const FOUR: ShardRegion[] = ['enam', 'wnam', 'weur', 'apac'];

const stockSet = (onHand: number, shards: number, shardRegions?: ShardRegion[], version = 1): SkuEvent => ({
  type: 'StockSet', sku: S1, version, at, causedBy: {}, data: { onHand, limitPerCustomer: null, shards, ...(shardRegions ? { shardRegions } : {}) },
});

describe('shard regions (issue 25)', () => {
  it('places shard k in the (k mod R)-th region, so neighbours are apart', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((k) => regionOfShard(FOUR, k))).toEqual(['enam', 'wnam', 'weur', 'apac', 'enam', 'wnam', 'weur', 'apac']);
    expect(regionOfShard(['weur'], 5)).toBe('weur');
  });

  it('takes documented location hints only, each once, one to eight of them', () => {
    expect(ShardRegionsSchema.safeParse(['enam', 'weur']).success).toBe(true);
    expect(ShardRegionsSchema.safeParse([]).success).toBe(false);
    expect(ShardRegionsSchema.safeParse(['enam', 'enam']).success).toBe(false);
    expect(ShardRegionsSchema.safeParse(['us-east']).success).toBe(false);
    expect(ShardRegionsSchema.safeParse([...LOCATION_HINTS].slice(0, 9)).success).toBe(false);
  });

  it('never moves a placed shard: a new list must name every existing shard where it lives', () => {
    const list = fc.uniqueArray(fc.constantFrom(...LOCATION_HINTS), { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(list, list, fc.integer({ min: 0, max: 64 }), (current, next, placed) => {
        const refusal = regionsRefusal(current, placed, next);
        const moves = Array.from({ length: placed }, (_, k) => k).some((k) => regionOfShard(current, k) !== regionOfShard(next, k));
        expect(refusal !== null).toBe(moves);
        expect(regionsRefusal(null, placed, next)).toBeNull();
        expect(regionsRefusal(current, placed, current)).toBeNull();
      }),
    );
    expect(regionsRefusal(['enam', 'wnam'], 4, ['enam', 'wnam', 'weur'])).toBe('shard 2 lives in enam: a placed shard cannot move');
  });

  it('re-homes outside the home\'s region, spreads one home\'s buyers, and moves a customer only when their target itself is excluded', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 12 }), fc.integer({ min: 2, max: 64 }), fc.nat(63), fc.nat(63), (customer, shards, h, x) => {
        const home = h % shards;
        const target = rehomeShard(customer, home, shards, FOUR, () => false);
        if (target === null) return;
        expect(target).not.toBe(home);
        expect(regionOfShard(FOUR, target)).not.toBe(regionOfShard(FOUR, home));
        // Excluding some other shard never moves the customer (rendezvous order): a retry lands where the first attempt did.
        const other = x % shards;
        if (other !== target) expect(rehomeShard(customer, home, shards, FOUR, (k) => k === other)).toBe(target);
        // Excluding the target moves them to another shard outside the home's region, or nowhere.
        const next = rehomeShard(customer, home, shards, FOUR, (k) => k === target);
        if (next !== null) expect([next !== target, regionOfShard(FOUR, next) !== regionOfShard(FOUR, home)]).toEqual([true, true]);
      }),
    );
    const targets = new Set(Array.from({ length: 200 }, (_, i) => rehomeShard(`buyer-${i}`, 1, 64, FOUR, () => false)));
    expect(targets.size).toBeGreaterThan(20);
    expect(rehomeShard('c', 0, 4, ['enam'], () => false)).toBeNull();
  });

  it('records the regions with the layout, keeps them on later stock changes, and shows them in the counters', () => {
    spec.given([]).when({ type: 'AdjustStock', data: { sku: S1, delta: 5, shards: 8, shardRegions: FOUR, limitPerCustomer: null } }).then([stockSet(5, 8, FOUR)]);
    spec.given([stockSet(5, 8, FOUR)]).when({ type: 'AdjustStock', data: { sku: S1, delta: 1, shards: 8, limitPerCustomer: null } }).then([stockSet(6, 8, FOUR, 2)]);
    const state = fold(skuLedgerDecider.evolve, skuLedgerDecider.initialState(), [stockSet(5, 8, FOUR), stockSet(6, 8, undefined, 2)]);
    expect(skuCounters(state.state)).toMatchObject({ shards: 8, shardRegions: FOUR });
    expect(sumCounters('HOT-1', [skuCounters(state.state), skuCounters(state.state)])).toMatchObject({ shards: 2, shardRegions: FOUR });
  });

  it('records strict failover limits with the layout and keeps them until set back to relaxed', () => {
    const strict = { ...stockSet(5, 8, FOUR), data: { onHand: 5, limitPerCustomer: null, shards: 8, shardRegions: FOUR, failoverLimits: 'strict' } } as SkuEvent;
    spec.given([]).when({ type: 'AdjustStock', data: { sku: S1, delta: 5, shards: 8, shardRegions: FOUR, failoverLimits: 'strict', limitPerCustomer: null } }).then([strict]);
    spec.given([strict]).when({ type: 'AdjustStock', data: { sku: S1, delta: 1, shards: 8, limitPerCustomer: null } })
      .then([{ ...stockSet(6, 8, FOUR, 2), data: { onHand: 6, limitPerCustomer: null, shards: 8, shardRegions: FOUR, failoverLimits: 'strict' } } as SkuEvent]);
    spec.given([strict]).when({ type: 'AdjustStock', data: { sku: S1, delta: 0, shards: 8, failoverLimits: 'relaxed', limitPerCustomer: null } })
      .then([{ ...stockSet(5, 8, FOUR, 2), data: { onHand: 5, limitPerCustomer: null, shards: 8, shardRegions: FOUR, failoverLimits: 'relaxed' } } as SkuEvent]);
    const state = fold(skuLedgerDecider.evolve, skuLedgerDecider.initialState(), [strict]).state;
    expect(skuCounters(state)).toMatchObject({ failoverLimits: 'strict' });
    spec.given([]).when({ type: 'SetStock', data: { sku: 'COLD-2', onHand: 5, failoverLimits: 'strict' } })
      .thenFails({ code: 'invalid_command', reason: 'failoverLimits apply to a sharded SKU (shards > 1)' });
  });

  it('refuses a list that would move a placed shard, and regions on an unsharded SKU', () => {
    spec.given([stockSet(5, 8, FOUR)]).when({ type: 'AdjustStock', data: { sku: S1, delta: 0, shards: 8, shardRegions: ['wnam', 'enam'], limitPerCustomer: null } })
      .thenFails({ code: 'invalid_command', reason: 'shard 0 lives in enam: a placed shard cannot move' });
    spec.given([]).when({ type: 'SetStock', data: { sku: 'COLD-1', onHand: 5, shardRegions: FOUR } })
      .thenFails({ code: 'invalid_command', reason: 'shardRegions place the shards of a sharded SKU (shards > 1)' });
    // Sharded before regions were recorded: any list is taken (it says where new shards go).
    spec.given([stockSet(5, 8)]).when({ type: 'AdjustStock', data: { sku: S1, delta: 0, shards: 8, shardRegions: ['weur'], limitPerCustomer: null } })
      .then([stockSet(5, 8, ['weur'], 2)]);
  });
});
