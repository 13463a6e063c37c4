import { describe, expect, it } from 'vitest';
import { foldLedger, skuCounters, skuLedgerDecider, type SkuEvent } from '../../../src/domain/sku';
import { deciderSpec } from '../../support/deciderSpec';

const NOW = Date.parse('2026-11-25T12:00:00.000Z');
const at = (offsetMs = 0) => new Date(NOW + offsetMs).toISOString();
const spec = deciderSpec(skuLedgerDecider, NOW);
const SKU = 'SNKR-1';
const R1 = 'res_00000000000000000000000001';
const R0 = 'res_00000000000000000000000000';

type Place = { location?: string; priority?: number; region?: string | null };
const stockSet = (version: number, onHand: number, place: Place = {}): SkuEvent => ({
  type: 'StockSet', sku: SKU, version, at: at(), causedBy: {}, data: { onHand, limitPerCustomer: null, ...place },
});
const reserved = (version: number, qty: number, location?: string, reservationId = R1): SkuEvent => ({
  type: 'StockReserved', sku: SKU, version, at: at(), causedBy: {},
  data: { reservationId, customerId: 'c1', qty, expiresAt: at(300_000), ...(location === undefined ? {} : { location }) },
});
const reserve = (qty: number, region?: string) => ({
  type: 'Reserve' as const,
  data: { sku: SKU, reservationId: R1, customerId: 'c1', qty, ttlSeconds: 300, ...(region === undefined ? {} : { region }) },
});

// Two sites: Amsterdam (EU, priority 1) with 5 units, Newark (US, priority 0) with 3.
const twoSites = [
  stockSet(1, 5, { location: 'AMS-1', priority: 1, region: 'eu' }),
  stockSet(2, 3, { location: 'EWR-1', priority: 0, region: 'us' }),
];

describe('Reserve sources one location', () => {
  it("takes the units from the buyer's region when a location there has them all", () => {
    spec.given(twoSites).when(reserve(2, 'eu')).then([reserved(3, 2, 'AMS-1')]);
  });
  it('falls back to priority when the region has no location with the units', () => {
    spec.given(twoSites).when(reserve(4, 'us')).then([reserved(3, 4, 'AMS-1')]);
    spec.given(twoSites).when(reserve(2, 'asia')).then([reserved(3, 2, 'EWR-1')]);
  });
  it('without a region: the lower priority, then the most available, then the id', () => {
    spec.given(twoSites).when(reserve(1)).then([reserved(3, 1, 'EWR-1')]);
    const equalPriority = [stockSet(1, 2, { location: 'B' }), stockSet(2, 4, { location: 'C' }), stockSet(3, 4, { location: 'A' })];
    spec.given(equalPriority).when(reserve(1)).then([reserved(4, 1, 'A')]);
  });
  it('never splits a reservation: refused when no single location has the units, telling the most one can give', () => {
    spec.given(twoSites).when(reserve(6)).thenFails({ code: 'insufficient_stock', available: 5 });
  });
  it('a SKU that named no location reserves as before (no location on the event)', () => {
    spec.given([stockSet(1, 5)]).when(reserve(5)).then([reserved(2, 5)]);
    spec.given([stockSet(1, 5)]).when(reserve(6)).thenFails({ code: 'insufficient_stock', available: 5 });
  });
});

describe('Invariant never-oversell-a-location', () => {
  it("refuses to set a location's units under what it has reserved or sold, whatever the others hold", () => {
    spec.given([...twoSites, reserved(3, 3, 'EWR-1')])
      .when({ type: 'SetStock', data: { sku: SKU, onHand: 2, location: 'EWR-1' } })
      .thenFails({ code: 'below_committed', committed: 3 });
  });
  it('a completion and a release move the counters of the reservation\'s location', () => {
    const completed: SkuEvent = {
      type: 'ReservationCompleted', sku: SKU, version: 4, at: at(), causedBy: { [`sku:${SKU}`]: 3 }, data: { reservationId: R1, qty: 2, location: 'AMS-1' },
    };
    spec.given([...twoSites, reserved(3, 2, 'AMS-1')])
      .when({ type: 'CompletePurchase', data: { reservationId: R1, customerId: 'c1' } })
      .then([completed]);
    spec.given([...twoSites, reserved(3, 2, 'AMS-1'), completed])
      .when({ type: 'AdminRelease', data: { reservationId: R1 } })
      .then([{
        type: 'StockReleased', sku: SKU, version: 5, at: at(), causedBy: { [`sku:${SKU}`]: 3 },
        data: { reservationId: R1, qty: 2, reason: 'admin', refundDue: true, location: 'AMS-1' },
      }]);
    const { state } = foldLedger([...twoSites, reserved(3, 2, 'AMS-1'), completed]);
    expect(skuCounters(state).locations).toEqual([
      { location: 'AMS-1', onHand: 5, reserved: 0, sold: 2, available: 3, fed: null },
      { location: 'EWR-1', onHand: 3, reserved: 0, sold: 0, available: 3, fed: null },
    ]);
    expect(state).toMatchObject({ onHand: 8, reserved: 0, sold: 2 });
  });
  it('a receipt adds to its location only', () => {
    spec.given(twoSites)
      .when({ type: 'ReceiveStock', data: { sku: SKU, qty: 4, location: 'EWR-1' } })
      .then([{ type: 'StockReceived', sku: SKU, version: 3, at: at(), causedBy: {}, data: { qty: 4, location: 'EWR-1' } }]);
  });
});

describe('Locations and what came before them', () => {
  it("the stock set without a location is the `default` location's, kept when a named location is added", () => {
    const history = [stockSet(1, 4), reserved(2, 1, undefined, R0), stockSet(3, 2, { location: 'AMS-1' })];
    expect(skuCounters(foldLedger(history).state)).toMatchObject({
      onHand: 6, reserved: 1, available: 5,
      locations: [
        { location: 'AMS-1', onHand: 2, reserved: 0, sold: 0, available: 2, fed: null },
        { location: 'default', onHand: 4, reserved: 1, sold: 0, available: 3, fed: null },
      ],
    });
    // The reservation taken before locations were named goes back to `default` (no location on its event).
    spec.given(history)
      .when({ type: 'CancelReservation', data: { reservationId: R0, customerId: 'c1' } })
      .then([{
        type: 'StockReleased', sku: SKU, version: 4, at: at(), causedBy: { [`sku:${SKU}`]: 2 },
        data: { reservationId: R0, qty: 1, reason: 'cancelled', refundDue: false },
      }]);
  });
  it('a SKU that named no location shows no `locations`', () => {
    expect(skuCounters(foldLedger([stockSet(1, 4)]).state)).not.toHaveProperty('locations');
  });
  it('priority and region belong to a location', () => {
    spec.given([]).when({ type: 'SetStock', data: { sku: SKU, onHand: 1, region: 'eu' } })
      .thenFails({ code: 'invalid_command', reason: 'priority and region are set on a location' });
  });
  it('locations compose with shards: a sharded SKU names them, a SKU that named them can be sharded', () => {
    spec.given([]).when({ type: 'SetStock', data: { sku: SKU, onHand: 4, shards: 2, location: 'AMS-1' } })
      .then([{ type: 'StockSet', sku: SKU, version: 1, at: at(), causedBy: {}, data: { onHand: 4, limitPerCustomer: null, shards: 2, location: 'AMS-1' } }]);
    spec.given(twoSites).when({ type: 'SetStock', data: { sku: SKU, onHand: 4, shards: 2 } })
      .then([{ type: 'StockSet', sku: SKU, version: 3, at: at(), causedBy: {}, data: { onHand: 4, limitPerCustomer: null, shards: 2 } }]);
  });
});

describe('verdicts of the saga on a re-sourced reservation (ADR 0015)', () => {
  const resourced = (version: number, from: string, to: string): SkuEvent => ({
    type: 'ReservationResourced', sku: SKU, version, at: at(), causedBy: {},
    data: { reservationId: R1, qty: 2, from, to, completed: false, reason: 'stock_shortfall' },
  });
  // An event about the reservation names its StockReserved (version 3) as cause.
  const confirmed = (version: number, allocationId: string): SkuEvent => ({
    type: 'AllocationConfirmed', sku: SKU, version, at: at(), causedBy: { [`sku:${SKU}`]: 3 }, data: { reservationId: R1, allocationId },
  });
  const confirm = (allocationId: string, location?: string) => ({
    type: 'ConfirmAllocation' as const, data: { reservationId: R1, allocationId, ...(location === undefined ? {} : { location }) },
  });
  const history = [...twoSites, reserved(3, 2, 'AMS-1'), confirmed(4, 'alloc-ams'), resourced(5, 'AMS-1', 'EWR-1')];
  /** A verdict of the saga records it as the cause. */
  const bySaga = (event: SkuEvent): SkuEvent => ({ ...event, data: { ...event.data, cause: { kind: 'saga', reservationId: R1 } } }) as SkuEvent;

  it('a re-sourcing leaves the allocation pending: the one at the new location is confirmed', () => {
    spec.given(history).when(confirm('alloc-ewr', 'EWR-1')).then([bySaga(confirmed(6, 'alloc-ewr'))]);
    const row = foldLedger(history).reservations.get(R1)!;
    expect(row).toMatchObject({ location: 'EWR-1', allocation: 'pending', allocationId: null });
  });
  it('a verdict about the location it left (sent before the saga read the re-sourcing) is refused, a release too', () => {
    const refused = { code: 'invalid_command' as const, reason: 'the reservation was re-sourced to EWR-1: a verdict about an allocation at AMS-1 is not its' };
    spec.given(history).when(confirm('alloc-ams', 'AMS-1')).thenFails(refused);
    spec.given(history).when({ type: 'FailAllocation', data: { reservationId: R1, reason: 'wms_rejected', location: 'AMS-1' } }).thenFails(refused);
  });
  it('a verdict naming no location (a saga from before locations) is as before', () => {
    spec.given(history).when(confirm('alloc-any')).then([bySaga(confirmed(6, 'alloc-any'))]);
  });

  describe('back where it was (AMS-1 → EWR-1 → AMS-1): the count of re-sourcings tells a stale verdict', () => {
    const back = [...twoSites, reserved(3, 2, 'AMS-1'), resourced(4, 'AMS-1', 'EWR-1'), resourced(5, 'EWR-1', 'AMS-1')];
    const counted = (resourcings?: number) => ({ ...(resourcings === undefined ? {} : { resourcings }) });
    const stale = { code: 'invalid_command' as const, reason: 'the reservation was re-sourced 2 times, now to AMS-1: a verdict decided after 0 is not its' };

    it('the row counts each re-sourcing', () => {
      expect(foldLedger(back).reservations.get(R1)).toMatchObject({ location: 'AMS-1', resourcings: 2, allocation: 'pending' });
      expect([3, 4].map((n) => foldLedger(back.slice(0, n)).reservations.get(R1)?.resourcings)).toEqual([0, 1]);
    });
    it('a verdict decided before the latest re-sourcing is refused, though its location matches: a Confirm, a release too', () => {
      spec.given(back).when({ ...confirm('alloc-ams', 'AMS-1'), data: { ...confirm('alloc-ams', 'AMS-1').data, ...counted(0) } }).thenFails(stale);
      spec.given(back).when({ type: 'FailAllocation', data: { reservationId: R1, reason: 'wms_rejected', location: 'AMS-1', ...counted(1) } }).thenFails({
        code: 'invalid_command', reason: 'the reservation was re-sourced 2 times, now to AMS-1: a verdict decided after 1 is not its',
      });
    });
    it('a verdict decided after it (the same count) is taken', () => {
      spec.given(back).when({ ...confirm('alloc-ams-2', 'AMS-1'), data: { ...confirm('alloc-ams-2', 'AMS-1').data, ...counted(2) } }).then([bySaga(confirmed(6, 'alloc-ams-2'))]);
    });
    it('a verdict with no count (a bridge from before) is judged by its location only, as before', () => {
      spec.given(back).when(confirm('alloc-ams', 'AMS-1')).then([bySaga(confirmed(6, 'alloc-ams'))]);
    });
    it('a released reservation answers as released whatever the count', () => {
      const released: SkuEvent = {
        type: 'StockReleased', sku: SKU, version: 6, at: at(), causedBy: { [`sku:${SKU}`]: 3 },
        data: { reservationId: R1, qty: 2, reason: 'cancelled', refundDue: false, location: 'AMS-1' },
      };
      spec.given([...back, released]).when({ ...confirm('alloc-ams', 'AMS-1'), data: { ...confirm('alloc-ams', 'AMS-1').data, ...counted(0) } }).thenFails({ code: 'reservation_released', reason: 'cancelled' });
    });
  });
});
