import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  available,
  emptyLedger,
  foldLedger,
  homeShard,
  record,
  ringOf,
  sameRegionAs,
  shardOf,
  shardOfReservation,
  skuLedgerDecider,
  skuOf,
  StreamIdSchema,
  streamOf,
  streamsOf,
  sumCounters,
  skuCounters,
  type SkuEvent,
  type SkuLedger,
} from '../../../src/domain/sku';
import { Siblings } from '../../../durable-objects/sku/siblings';
import { deciderSpec } from '../../support/deciderSpec';

const NOW = Date.parse('2026-12-02T12:00:00.000Z');
const at = new Date(NOW).toISOString();
const spec = deciderSpec(skuLedgerDecider, NOW);
const SKU = 'HOT-1';
const S1 = `${SKU}~1`;

const stockSet = (stream: string, onHand: number, shards = 2): SkuEvent => ({
  type: 'StockSet', sku: stream, version: 1, at, causedBy: {}, data: { onHand, limitPerCustomer: null, shards },
});
const lent = (version: number, qty: number, transferId = 't-1'): SkuEvent => ({
  type: 'StockLent', sku: S1, version, at, causedBy: {}, data: { transferId, qty, to: SKU },
});
const borrowed = (version: number, qty: number, lentVersion: number, transferId = 't-1'): SkuEvent => ({
  type: 'StockBorrowed', sku: SKU, version, at, causedBy: { [`sku:${S1}`]: lentVersion }, data: { transferId, qty, from: S1 },
});

describe('streams of a sharded SKU', () => {
  it('names shard 0 as the SKU itself and shard k as SKU~k, and reads them back', () => {
    expect(streamOf(SKU, 0)).toBe(SKU);
    expect(streamOf(SKU, 7)).toBe('HOT-1~7');
    expect([skuOf('HOT-1~7'), shardOf('HOT-1~7'), skuOf(SKU), shardOf(SKU)]).toEqual([SKU, 7, SKU, 0]);
  });
  it.each(['HOT-1', 'HOT-1~1', 'HOT-1~63'])('accepts the stream %s', (s) => expect(StreamIdSchema.safeParse(s).success).toBe(true));
  it.each(['HOT-1~0', 'HOT-1~64', 'HOT-1~01', 'HOT-1~', '~1', 'HOT-1~1~2'])('refuses the stream %s', (s) =>
    expect(StreamIdSchema.safeParse(s).success).toBe(false));
  it('finds the shard a reservation id names (none: shard 0)', () => {
    expect(shardOfReservation('res_0123456789abcdefghijklmnop')).toBe(0);
    expect(shardOfReservation('res_0123456789abcdefghijklmnop_12')).toBe(12);
  });
  it('homes a customer on one shard whatever asks, spread evenly over the layout', () => {
    fc.assert(fc.property(fc.string({ minLength: 1 }), fc.integer({ min: 1, max: 64 }), (customer, shards) => {
      const home = homeShard(customer, shards);
      expect(home).toBe(homeShard(customer, shards));
      expect(home).toBeGreaterThanOrEqual(0);
      expect(home).toBeLessThan(shards);
    }));
    const counts = new Array<number>(8).fill(0);
    for (let i = 0; i < 8_000; i++) counts[homeShard(`customer-${i}`, 8)]! += 1;
    for (const n of counts) expect(n).toBeGreaterThan(850);
  });
});

describe('lending between shards', () => {
  it('lends the deficit, or half of what it has when that is more', () => {
    spec.given([stockSet(S1, 10)]).when({ type: 'LendStock', data: { transferId: 't-1', to: SKU, want: 2 } }).then([lent(2, 5)]);
    spec.given([stockSet(S1, 10)]).when({ type: 'LendStock', data: { transferId: 't-1', to: SKU, want: 8 } }).then([lent(2, 8)]);
  });
  it('never lends more than it has available, nothing when empty', () => {
    spec.given([stockSet(S1, 3)]).when({ type: 'LendStock', data: { transferId: 't-1', to: SKU, want: 9 } }).then([lent(2, 3)]);
    spec.given([stockSet(S1, 0)]).when({ type: 'LendStock', data: { transferId: 't-1', to: SKU, want: 1 } }).thenNothing();
  });
  it('lends once per transfer id', () => {
    spec.given([stockSet(S1, 10), lent(2, 5)]).when({ type: 'LendStock', data: { transferId: 't-1', to: SKU, want: 5 } }).thenNothing();
  });
  it('lends only to a shard of the same SKU', () => {
    spec.given([stockSet(S1, 10)]).when({ type: 'LendStock', data: { transferId: 't-1', to: 'OTHER~1', want: 1 } })
      .thenFails({ code: 'invalid_command', reason: 'OTHER~1 is not a shard of HOT-1' });
    spec.given([stockSet(S1, 10)]).when({ type: 'LendStock', data: { transferId: 't-1', to: S1, want: 1 } })
      .thenFails({ code: 'invalid_command', reason: 'HOT-1~1 is not a shard of HOT-1' });
  });
  it('takes a loan once, naming the lender’s event as its cause', () => {
    spec.given([stockSet(SKU, 0)])
      .when({ type: 'ReceiveLoan', data: { transferId: 't-1', from: S1, qty: 5 }, causedBy: { [`sku:${S1}`]: 2 } })
      .then([borrowed(2, 5, 2)]);
    spec.given([stockSet(SKU, 0), borrowed(2, 5, 2)]).when({ type: 'ReceiveLoan', data: { transferId: 't-1', from: S1, qty: 5 } }).thenNothing();
  });
  it('adjusts a shard’s stock relative to what it holds now, loans included', () => {
    spec.given([stockSet(S1, 10), lent(2, 5)])
      .when({ type: 'AdjustStock', data: { sku: S1, delta: 3, shards: 4, limitPerCustomer: null } })
      .then([{ type: 'StockSet', sku: S1, version: 3, at, causedBy: {}, data: { onHand: 8, limitPerCustomer: null, shards: 4 } }]);
    spec.given([stockSet(S1, 10), lent(2, 5)])
      .when({ type: 'AdjustStock', data: { sku: S1, delta: -6, shards: 2, limitPerCustomer: null } })
      .thenFails({ code: 'below_committed', committed: 0 });
  });
  it('counts units lent net of those borrowed, so onHand + lent over the shards is the stock', () => {
    const lender = foldLedger([stockSet(S1, 10), lent(2, 5)]).state;
    const borrower = foldLedger([stockSet(SKU, 3), borrowed(2, 5, 2)]).state;
    expect([lender.onHand, lender.lent, borrower.onHand, borrower.lent]).toEqual([5, 5, 8, -5]);
    expect(lender.onHand + lender.lent + borrower.onHand + borrower.lent).toBe(13);
  });
  it('grows a layout but never shrinks it', () => {
    spec.given([stockSet(SKU, 10, 4)]).when({ type: 'SetStock', data: { sku: SKU, onHand: 10, shards: 2 } })
      .thenFails({ code: 'invalid_command', reason: 'shards can grow but not shrink (it is 4)' });
  });
  it('sums the shards’ counters, versions included', () => {
    const a = skuCounters(foldLedger([stockSet(SKU, 3)]).state);
    const b = skuCounters(foldLedger([stockSet(S1, 10), lent(2, 5)]).state);
    expect(sumCounters(SKU, [a, b])).toEqual({ sku: SKU, onHand: 8, reserved: 0, sold: 0, available: 8, limitPerCustomer: null, shards: 2, version: 3, asOf: at });
  });

  it('conserves every unit whatever loans are asked, delivered more than once or in any order', () => {
    const step = fc.record({ lender: fc.constantFrom(0, 1), want: fc.integer({ min: 1, max: 12 }), extra: fc.integer({ min: 0, max: 2 }) });
    fc.assert(fc.property(fc.array(step, { maxLength: 30 }), fc.boolean(), (steps, reversed) => {
      const ledgers: SkuLedger[] = [foldLedger([stockSet(SKU, 7)]), foldLedger([stockSet(S1, 5)])];
      const onHand = () => ledgers[0]!.state.onHand + ledgers[1]!.state.onHand;
      // The borrower takes a loan from the answer, and the lender delivers it again: at least once each.
      const deliveries: SkuEvent[] = [];
      steps.forEach(({ lender, want, extra }, i) => {
        const from = ledgers[lender]!;
        const to = ledgers[1 - lender]!.state.sku!;
        const decision = skuLedgerDecider.decide({ type: 'LendStock', data: { transferId: `t-${i}`, to, want } }, from, NOW);
        if (!decision.ok) throw new Error(decision.error.code);
        for (const e of decision.value) {
          record(from, e);
          deliveries.push(...Array<SkuEvent>(1 + extra).fill(e));
        }
        expect(available(from.state)).toBeGreaterThanOrEqual(0);
        expect(onHand()).toBeLessThanOrEqual(12);
      });
      for (const e of reversed ? deliveries.reverse() : deliveries) {
        if (e.type !== 'StockLent') continue;
        const borrower = ledgers.find((l) => l.state.sku === e.data.to)!;
        const decision = skuLedgerDecider.decide({ type: 'ReceiveLoan', data: { transferId: e.data.transferId, from: e.sku, qty: e.data.qty } }, borrower, NOW);
        if (!decision.ok) throw new Error(decision.error.code);
        for (const b of decision.value) record(borrower, b);
      }
      expect(onHand()).toBe(12);
      const loans = ledgers.flatMap((l) => [...l.loans.values()]);
      expect(loans.filter((l) => l.direction === 'in').length).toBe(loans.filter((l) => l.direction === 'out').length);
    }));
  });
});

describe('what a shard knows of its siblings', () => {
  const all = ['S', 'S~1', 'S~2'];
  it('asks those not known empty, the ones believed to hold most first (never heard of: first), then in ring order', () => {
    const s = new Siblings();
    expect(s.toAsk(all)).toEqual(all);
    s.heard('S~1', 2, 0);
    s.heard('S~2', 9, 0);
    expect(s.toAsk(all)).toEqual(['S', 'S~2', 'S~1']);
    expect(all.map((x) => s.believedEmpty(x))).toEqual([false, false, false]);
    s.heard('S', 0, 0);
    expect(s.toAsk(all)).toEqual(['S~2', 'S~1']);
    expect(s.allEmpty(all)).toBe(false);
  });
  it('forgets an "empty" when the sibling undrains after it', () => {
    const s = new Siblings();
    s.heard('S~1', 0, 3);
    s.undrained('S~1', 4);
    expect(s.toAsk(all)).toContain('S~1');
  });
  it('does not believe an "empty" older than an undrain already heard (they crossed on the way)', () => {
    const s = new Siblings();
    s.undrained('S~1', 4);
    s.heard('S~1', 0, 3);
    expect(s.toAsk(all)).toContain('S~1');
    s.heard('S~1', 0, 4);
    expect(s.toAsk(all)).not.toContain('S~1');
    s.undrained('S~1', 4);
    expect(s.toAsk(all)).not.toContain('S~1');
  });
  it('is sure the SKU is empty only when every sibling said so', () => {
    const s = new Siblings();
    for (const x of all) s.heard(x, 0, 0);
    expect(s.allEmpty(all)).toBe(true);
    expect(new Siblings().allEmpty(all)).toBe(false);
  });
  it('among siblings believed to hold as much, asks those in its own region first', () => {
    const s = new Siblings();
    const near = (x: string) => x === 'S~2';
    expect(s.toAsk(all, 0, near)).toEqual(['S~2', 'S', 'S~1']);
    for (const x of all) s.heard(x, 3, 0, 10);
    expect(s.toAsk(all, 0, near)).toEqual(['S~2', 'S', 'S~1']);
    s.heard('S~1', 4, 0, 20);
    expect(s.toAsk(all, 0, near)).toEqual(['S~1', 'S~2', 'S']);
  });
  it('keeps the freshest level of each sibling, heard directly, by gossip or by an undrain', () => {
    const s = new Siblings();
    s.learn('S~1', 7, 100);
    s.learn('S~1', 2, 50); // older: ignored
    s.merge('S~2', [{ sibling: 'S~2', units: 99, asOf: 200 }, { sibling: 'S', units: 4, asOf: 120 }, { sibling: 'S~1', units: 1, asOf: 90 }]);
    expect(s.beliefs('S~2', 0, 300)).toEqual([
      { sibling: 'S~2', units: 0, asOf: 300 },
      { sibling: 'S~1', units: 7, asOf: 100 },
      { sibling: 'S', units: 4, asOf: 120 },
    ]);
    s.heard('S', 0, 0, 400);
    expect(s.toAsk(all)).toEqual(['S~2', 'S~1']);
    // Gossip orders, never decides: a level of 0 by gossip does not make a sibling known empty.
    s.learn('S~1', 0, 500);
    expect(s.toAsk(all)).toEqual(['S~2', 'S~1']);
    expect(s.believedEmpty('S~1')).toBe(true);
    s.undrained('S', 1, { units: 6, asOf: 600 });
    expect(s.toAsk(all)).toEqual(['S~2', 'S', 'S~1']);
  });
  it('each shard walks its siblings from the next one round (walks of different shards start apart)', () => {
    expect(ringOf('S', 4)).toEqual(['S~1', 'S~2', 'S~3']);
    expect(ringOf('S~2', 4)).toEqual(['S~3', 'S', 'S~1']);
    expect(ringOf('S~3', 4)).toEqual(['S', 'S~1', 'S~2']);
    fc.assert(fc.property(fc.integer({ min: 2, max: 64 }), fc.nat(), (shards, k) => {
      const self = streamOf('S', k % shards);
      const ring = ringOf(self, shards);
      expect([...ring].sort()).toEqual(streamsOf('S', shards).filter((x) => x !== self).sort());
      expect(shardOf(ring[0]!)).toBe(((k % shards) + 1) % shards);
    }));
  });
  it('knows which siblings share its region, and none without regions', () => {
    const near = sameRegionAs('S~1', ['enam', 'weur']);
    expect(['S', 'S~1', 'S~2', 'S~3'].map(near)).toEqual([false, true, false, true]);
    expect(sameRegionAs('S~1', null)('S~3')).toBe(false);
  });
});

it('a fresh ledger has one shard', () => expect(emptyLedger().state.shards).toBe(1));
