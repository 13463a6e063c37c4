import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decide,
  foldLedger,
  contextFor,
  locationsOf,
  locationStock,
  record,
  streamOf,
  type SkuCommand,
  type SkuEvent,
  type SkuLedger,
  type StockCause,
} from '../../../src/domain/sku';
import { bringUnitsHome } from '../../../durable-objects/sku/recall';

/*
 * Locations on a sharded SKU, under random sequences of reserves, purchases, releases, loans
 * (delivered at once or later, or never yet), receipts and warehouse counts that lower a location
 * at shard 0 (bringing the units home as the object does): invariant never-oversell-a-location on
 * every shard at every step, and each location's units conserved over the shards, loans in flight
 * included.
 */

const SKU = 'HOT-1';
const SHARDS = 3;
const LOCATIONS = ['AMS-1', 'EWR-1'] as const;
const NOW = Date.parse('2026-12-06T12:00:00.000Z');

type World = {
  shards: SkuLedger[];
  /** Loans lent and not yet taken by their borrower. */
  inFlight: { to: number; event: Extract<SkuEvent, { type: 'StockLent' }> }[];
  /** Each location's physical stock as the warehouse's documents and receipts made it. */
  physical: Record<string, number>;
  next: number;
};

type Op =
  | { op: 'reserve'; shard: number; qty: number; region: 'eu' | 'us' | undefined }
  | { op: 'complete' | 'cancel'; shard: number; pick: number }
  | { op: 'lend'; from: number; to: number; want: number; location: string | undefined; deliver: boolean }
  | { op: 'deliver'; pick: number }
  | { op: 'count'; location: string; delta: number };

const shardIndex = fc.integer({ min: 0, max: SHARDS - 1 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('reserve' as const), shard: shardIndex, qty: fc.integer({ min: 1, max: 4 }), region: fc.constantFrom('eu' as const, 'us' as const, undefined) }) },
  fc.record({ op: fc.constantFrom('complete' as const, 'cancel' as const), shard: shardIndex, pick: fc.nat() }),
  { weight: 3, arbitrary: fc.record({ op: fc.constant('lend' as const), from: shardIndex, to: shardIndex, want: fc.integer({ min: 1, max: 6 }), location: fc.constantFrom(...LOCATIONS, undefined), deliver: fc.boolean() }) },
  fc.record({ op: fc.constant('deliver' as const), pick: fc.nat() }),
  { weight: 2, arbitrary: fc.record({ op: fc.constant('count' as const), location: fc.constantFrom(...LOCATIONS), delta: fc.integer({ min: -12, max: 6 }) }) },
);

function run(world: World, shard: number, command: SkuCommand): readonly SkuEvent[] {
  const ledger = world.shards[shard]!;
  const decision = decide(command, contextFor(ledger, command), NOW);
  if (!decision.ok) return [];
  for (const event of decision.value) record(ledger, event);
  return decision.value;
}

function lend(world: World, from: number, to: number, data: { want: number; location?: string | undefined; recall?: StockCause }, deliver: boolean): number {
  const transferId = `t-${world.next++}`;
  const events = run(world, from, { type: 'LendStock', data: { transferId, to: streamOf(SKU, to), ...data } });
  const lent = events.find((e): e is Extract<SkuEvent, { type: 'StockLent' }> => e.type === 'StockLent');
  if (!lent) return 0;
  if (deliver) take(world, to, lent);
  else world.inFlight.push({ to, event: lent });
  return lent.data.qty;
}

function take(world: World, to: number, { sku, version, data }: Extract<SkuEvent, { type: 'StockLent' }>): void {
  run(world, to, { type: 'ReceiveLoan', data: { transferId: data.transferId, from: sku, qty: data.qty, ...(data.location ? { location: data.location } : {}) }, causedBy: { [`sku:${sku}`]: version } });
}

async function apply(world: World, o: Op): Promise<void> {
  switch (o.op) {
    case 'reserve': {
      const customerId = `c-${world.next++}`;
      run(world, o.shard, { type: 'Reserve', data: { sku: streamOf(SKU, o.shard), reservationId: `r-${world.next++}`, customerId, qty: o.qty, ttlSeconds: 60, ...(o.region ? { region: o.region } : {}) } });
      return;
    }
    case 'complete':
    case 'cancel': {
      const held = [...world.shards[o.shard]!.reservations.values()].filter((r) => r.status === 'held');
      const r = held[o.pick % Math.max(1, held.length)];
      if (!r) return;
      const type = o.op === 'complete' ? 'CompletePurchase' : 'CancelReservation';
      run(world, o.shard, { type, data: { reservationId: r.reservationId, customerId: r.customerId } });
      return;
    }
    case 'lend':
      if (o.from !== o.to) lend(world, o.from, o.to, { want: o.want, location: o.location }, o.deliver);
      return;
    case 'deliver': {
      const [loan] = world.inFlight.splice(o.pick % Math.max(1, world.inFlight.length), 1);
      if (loan) take(world, loan.to, loan.event);
      return;
    }
    case 'count': {
      if (world.physical[o.location]! + o.delta < 0) return;
      const sequence = world.next++;
      const cause: StockCause = { kind: 'warehouse', warehouse: 'soap-1', document: `D-${sequence}`, sequence, movement: 'count' };
      const bring = () => bringUnitsHome(
        () => world.shards[0]!.state,
        async (lender, request) => lend(world, Number(lender.split('~')[1]), 0, request, true),
        { location: o.location, delta: o.delta, cause },
      );
      if ((await bring()) !== null) {
        // Units on a loan not delivered yet: the document waits (503) while lenders redeliver, then goes through.
        for (const loan of world.inFlight.splice(0)) take(world, loan.to, loan.event);
        expect(await bring()).toBeNull();
      }
      // Shard 0 now holds at least the units the document takes away.
      expect(locationStock(world.shards[0]!.state, o.location).onHand).toBeGreaterThanOrEqual(-o.delta);
      const events = run(world, 0, { type: 'ApplyMovement', data: { sku: SKU, warehouse: 'soap-1', document: cause.document, sequence, movement: 'count', location: o.location, delta: o.delta } });
      expect(events[0]).toMatchObject({ type: 'StockMoved' });
      world.physical[o.location] = world.physical[o.location]! + o.delta;
      return;
    }
  }
}

function check(world: World): void {
  for (const [k, { state }] of world.shards.entries()) {
    for (const l of locationsOf(state)) {
      // Invariant never-oversell-a-location on each shard: held units never exceed what is not sold.
      expect(l.reserved, `${l.location} held on shard ${k}`).toBeLessThanOrEqual(Math.max(0, l.onHand - l.sold));
      expect(l.onHand, `${l.location} on shard ${k}`).toBeGreaterThanOrEqual(0);
    }
  }
  for (const location of LOCATIONS) {
    const units = world.shards.reduce((n, { state }) => {
      const l = locationStock(state, location);
      return n + l.onHand + l.lent;
    }, 0);
    expect(units, `${location}: on hand plus lent over the shards`).toBe(world.physical[location]);
  }
}

function stockedWorld(ams: number, ewr: number): World {
  const set = (k: number, version: number, onHand: number, location: string, region: string): SkuEvent => ({
    type: 'StockSet', sku: streamOf(SKU, k), version, at: new Date(NOW).toISOString(), causedBy: {},
    data: { onHand, limitPerCustomer: null, shards: SHARDS, location, region },
  });
  const shards = Array.from({ length: SHARDS }, (_, k) => foldLedger([set(k, 1, ams, 'AMS-1', 'eu'), set(k, 2, ewr, 'EWR-1', 'us')]));
  return { shards, inFlight: [], physical: { 'AMS-1': ams * SHARDS, 'EWR-1': ewr * SHARDS }, next: 1 };
}

describe('locations over shards, under random sequences', () => {
  it('never oversell a location on any shard, and conserve each location over the shards, loans and recalls included', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 8 }), fc.array(op, { maxLength: 80 }), async (ams, ewr, ops) => {
        const world = stockedWorld(ams, ewr);
        for (const o of ops) {
          await apply(world, o);
          check(world);
        }
      }),
      { numRuns: 300 },
    );
  });
});
