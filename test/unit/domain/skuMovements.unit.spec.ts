import { describe, expect, it } from 'vitest';
import { foldLedger, skuCounters, skuLedgerDecider, type ApplyMovement, type SkuEvent, type StockCause } from '../../../src/domain/sku';
import { deciderSpec } from '../../support/deciderSpec';

const NOW = Date.parse('2026-11-25T12:00:00.000Z');
const at = (offsetMs = 0) => new Date(NOW + offsetMs).toISOString();
const spec = deciderSpec(skuLedgerDecider, NOW);
const SKU = 'SNKR-1';
const stream = (version: number) => ({ [`sku:${SKU}`]: version });

type Movement = ApplyMovement['data']['movement'];
const move = (sequence: number, location: string, delta: number, movement: Movement = 'count'): ApplyMovement => ({
  type: 'ApplyMovement',
  data: { sku: SKU, warehouse: 'soap-1', document: `WMS-${sequence}`, sequence, movement, location, delta },
});
const fedBy = (sequence: number, movement: Movement = 'count'): StockCause => ({ kind: 'warehouse', warehouse: 'soap-1', document: `WMS-${sequence}`, sequence, movement });
const moved = (version: number, location: string, delta: number, cause: StockCause): SkuEvent => ({
  type: 'StockMoved', sku: SKU, version, at: at(), causedBy: {}, data: { location, delta, cause },
});
const stockSet = (version: number, onHand: number, location: string, priority = 0): SkuEvent => ({
  type: 'StockSet', sku: SKU, version, at: at(), causedBy: {}, data: { onHand, limitPerCustomer: null, location, priority },
});
const reserved = (version: number, reservationId: string, qty: number, location: string): SkuEvent => ({
  type: 'StockReserved', sku: SKU, version, at: at(), causedBy: {}, data: { reservationId, customerId: 'c1', qty, expiresAt: at(300_000), location },
});
const completed = (version: number, reservationId: string, reservedAt: number, qty: number, location: string): SkuEvent => ({
  type: 'ReservationCompleted', sku: SKU, version, at: at(), causedBy: stream(reservedAt), data: { reservationId, qty, location },
});
const shortfall = (version: number, location: string, short: number, unresolved: number, cause: StockCause): SkuEvent => ({
  type: 'StockShortfall', sku: SKU, version, at: at(), causedBy: {}, data: { location, short, unresolved, cause },
});
const resourced = (version: number, reservationId: string, reservedAt: number, qty: number, from: string, to: string, done = false): SkuEvent => ({
  type: 'ReservationResourced', sku: SKU, version, at: at(), causedBy: stream(reservedAt),
  data: { reservationId, qty, from, to, completed: done, reason: 'stock_shortfall' },
});
const releasedShort = (version: number, reservationId: string, reservedAt: number, qty: number, location: string): SkuEvent => ({
  type: 'StockReleased', sku: SKU, version, at: at(), causedBy: stream(reservedAt),
  data: { reservationId, qty, reason: 'stock_shortfall', refundDue: false, location },
});

// Amsterdam fed by soap-1 (document 1 counted 5 units), Newark set by hand with 3 (sourced first).
const fedAms = [moved(1, 'AMS-1', 5, fedBy(1, 'receipt')), stockSet(2, 3, 'EWR-1')];

describe('ApplyMovement: a warehouse document moves a location once', () => {
  it('creates the SKU and the location from the first document, and marks the location fed', () => {
    spec.given([]).when(move(1, 'AMS-1', 5, 'receipt')).then([moved(1, 'AMS-1', 5, fedBy(1, 'receipt'))]);
    const { state } = foldLedger(fedAms);
    expect(state.locations.find((l) => l.location === 'AMS-1')?.feed).toEqual({ warehouse: 'soap-1', sequence: 1 });
    expect(skuCounters(state)).toMatchObject({ onHand: 8, available: 8 });
  });
  it('a document at or below the sequence the location applied was counted already: nothing', () => {
    spec.given(fedAms).when(move(1, 'AMS-1', 5, 'receipt')).thenNothing();
    spec.given([...fedAms, moved(3, 'AMS-1', -1, fedBy(7, 'damage'))]).when(move(4, 'AMS-1', 2)).thenNothing();
    // Counted already, even though its delta would now take the location below 0 (a stocktake
    // redelivered after a bridge restart): not refused, or the feed would stall on it for good.
    spec.given([...fedAms, moved(3, 'AMS-1', -4, fedBy(4))]).when(move(4, 'AMS-1', -4)).thenNothing();
  });
  it('a later document applies, receipt, count or damage alike', () => {
    spec.given(fedAms).when(move(4, 'AMS-1', -2, 'damage')).then([moved(3, 'AMS-1', -2, fedBy(4, 'damage'))]);
  });
  it('refuses a document of another warehouse, one that takes the location below 0', () => {
    const other: ApplyMovement = { ...move(9, 'AMS-1', 1), data: { ...move(9, 'AMS-1', 1).data, warehouse: 'soap-2' } };
    spec.given(fedAms).when(other).thenFails({ code: 'invalid_command', reason: 'AMS-1 is fed by warehouse soap-1, not soap-2' });
    spec.given(fedAms).when(move(9, 'AMS-1', -6)).thenFails({ code: 'invalid_command', reason: 'the movement would take AMS-1 to -1 units' });
  });
});

describe('A fed location is not set by hand', () => {
  it('PUT stock and a receipt at a fed location are refused with location_fed; other locations are not', () => {
    spec.given(fedAms).when({ type: 'SetStock', data: { sku: SKU, onHand: 9, location: 'AMS-1' } })
      .thenFails({ code: 'location_fed', location: 'AMS-1', warehouse: 'soap-1' });
    spec.given(fedAms).when({ type: 'ReceiveStock', data: { sku: SKU, qty: 1, location: 'AMS-1' } })
      .thenFails({ code: 'location_fed', location: 'AMS-1', warehouse: 'soap-1' });
    spec.given(fedAms).when({ type: 'SetStock', data: { sku: SKU, onHand: 4, location: 'EWR-1', cause: { kind: 'admin', keyId: 'k1' } } })
      .then([{ type: 'StockSet', sku: SKU, version: 3, at: at(), causedBy: {}, data: { onHand: 4, limitPerCustomer: null, location: 'EWR-1', cause: { kind: 'admin', keyId: 'k1' } } }]);
  });
});

describe('Invariant never-oversell-a-location: a document below committed', () => {
  // Amsterdam holds 5: r1 (1 unit, sold), r2 (2 held), r3 (1 held, newest).
  const committedAtAms = [
    ...fedAms,
    reserved(3, 'r1', 1, 'AMS-1'), completed(4, 'r1', 3, 1, 'AMS-1'),
    reserved(5, 'r2', 2, 'AMS-1'), reserved(6, 'r3', 1, 'AMS-1'),
  ];

  it('records the shortfall, then re-sources the newest held reservations to a location with the units', () => {
    spec.given(committedAtAms).when(move(2, 'AMS-1', -3)).then([
      moved(7, 'AMS-1', -3, fedBy(2)),
      shortfall(8, 'AMS-1', 2, 0, fedBy(2)),
      resourced(9, 'r3', 6, 1, 'AMS-1', 'EWR-1'),
      resourced(10, 'r2', 5, 2, 'AMS-1', 'EWR-1'),
    ]);
  });
  it('releases a held reservation no other location can take (stock_shortfall)', () => {
    const smallEwr = [...committedAtAms, stockSet(7, 2, 'EWR-1')];
    spec.given(smallEwr).when(move(2, 'AMS-1', -4)).then([
      moved(8, 'AMS-1', -4, fedBy(2)),
      shortfall(9, 'AMS-1', 3, 0, fedBy(2)),
      resourced(10, 'r3', 6, 1, 'AMS-1', 'EWR-1'),
      releasedShort(11, 'r2', 5, 2, 'AMS-1'),
    ]);
  });
  it('moves a sold reservation when the held ones do not cover; leaves it unresolved when nobody can take it', () => {
    spec.given([...committedAtAms, stockSet(7, 10, 'EWR-1')]).when(move(2, 'AMS-1', -5)).then([
      moved(8, 'AMS-1', -5, fedBy(2)),
      shortfall(9, 'AMS-1', 4, 0, fedBy(2)),
      resourced(10, 'r3', 6, 1, 'AMS-1', 'EWR-1'),
      resourced(11, 'r2', 5, 2, 'AMS-1', 'EWR-1'),
      resourced(12, 'r1', 3, 1, 'AMS-1', 'EWR-1', true),
    ]);
    const fullEwr = [...committedAtAms, stockSet(7, 0, 'EWR-1')];
    const history = [...fullEwr, moved(8, 'AMS-1', -5, fedBy(2)), shortfall(9, 'AMS-1', 4, 1, fedBy(2)),
      releasedShort(10, 'r3', 6, 1, 'AMS-1'), releasedShort(11, 'r2', 5, 2, 'AMS-1')];
    spec.given(fullEwr).when(move(2, 'AMS-1', -5)).then(history.slice(fullEwr.length));
    // The sold unit stays at Amsterdam, over its stock by exactly the unresolved unit, for an operator to refund.
    const ams = foldLedger(history).state.locations.find((l) => l.location === 'AMS-1');
    expect(ams).toMatchObject({ onHand: 0, reserved: 0, sold: 1 });
  });
  it('the rows follow: a re-sourced reservation is at its new location, a released one is released', () => {
    const ledger = foldLedger([...committedAtAms, stockSet(7, 2, 'EWR-1'), moved(8, 'AMS-1', -4, fedBy(2)), shortfall(9, 'AMS-1', 3, 0, fedBy(2)),
      resourced(10, 'r3', 6, 1, 'AMS-1', 'EWR-1'), releasedShort(11, 'r2', 5, 2, 'AMS-1')]);
    expect(ledger.reservations.get('r3')).toMatchObject({ location: 'EWR-1', status: 'held' });
    expect(ledger.reservations.get('r2')).toMatchObject({ location: 'AMS-1', status: 'released', releaseReason: 'stock_shortfall' });
    expect(skuCounters(ledger.state).locations).toEqual([
      { location: 'AMS-1', onHand: 1, reserved: 0, sold: 1, available: 0, fed: { warehouse: 'soap-1', sequence: 2 } },
      { location: 'EWR-1', onHand: 2, reserved: 1, sold: 0, available: 1, fed: null },
    ]);
  });
});

describe('AdjustLocation: a repair by reconcile', () => {
  const repair = (delta: number, document?: string) => ({
    type: 'AdjustLocation' as const,
    data: { sku: SKU, location: 'AMS-1', delta, reason: 'reconcile: levels differ', keyId: 'a1b2c3d4e5f60718', ...(document ? { document } : {}) },
  });
  const cause = (document?: string): StockCause => ({ kind: 'repair', keyId: 'a1b2c3d4e5f60718', reason: 'reconcile: levels differ', ...(document ? { document } : {}) });
  it('moves the location, citing the key id and the warehouse document, and keeps its feed', () => {
    spec.given(fedAms).when(repair(-2, 'WMS-9')).then([moved(3, 'AMS-1', -2, cause('WMS-9'))]);
    const { state } = foldLedger([...fedAms, moved(3, 'AMS-1', -2, cause('WMS-9'))]);
    expect(state.locations.find((l) => l.location === 'AMS-1')?.feed).toEqual({ warehouse: 'soap-1', sequence: 1 });
  });
  it('is refused on a SKU that does not exist, and for a delta of 0', () => {
    spec.given([]).when(repair(1)).thenFails({ code: 'sku_not_found' });
    spec.given(fedAms).when(repair(0)).thenFails({ code: 'invalid_command', reason: 'delta must not be 0' });
  });
  it('below committed: the same shortfall rule', () => {
    spec.given([...fedAms, reserved(3, 'r1', 4, 'AMS-1')]).when(repair(-2)).then([
      moved(4, 'AMS-1', -2, cause()),
      shortfall(5, 'AMS-1', 1, 0, cause()),
      releasedShort(6, 'r1', 3, 4, 'AMS-1'),
    ]);
  });
});

describe('Audit causes', () => {
  it('an admin release carries the admin key id', () => {
    const history = [stockSet(1, 3, 'AMS-1'), reserved(2, 'r1', 1, 'AMS-1')];
    spec.given(history).when({ type: 'AdminRelease', data: { reservationId: 'r1', cause: { kind: 'admin', keyId: 'k1' } } }).then([{
      type: 'StockReleased', sku: SKU, version: 3, at: at(), causedBy: stream(2),
      data: { reservationId: 'r1', qty: 1, reason: 'admin', refundDue: false, location: 'AMS-1', cause: { kind: 'admin', keyId: 'k1' } },
    }]);
  });
});

describe('The warehouse reference an allocation was confirmed under', () => {
  const confirmed = (version: number, reservationId: string, reservedAt: number, reference?: string): SkuEvent => ({
    type: 'AllocationConfirmed', sku: SKU, version, at: at(), causedBy: stream(reservedAt),
    data: { reservationId, allocationId: `alloc-${reservationId}`, ...(reference ? { reference } : {}), cause: { kind: 'saga', reservationId } },
  });
  const base = [stockSet(1, 3, 'AMS-1'), stockSet(2, 5, 'EWR-1'), reserved(3, 'r1', 2, 'AMS-1')];

  it('a confirmation keeps it on the row; a re-sourcing names it (a saga reopened after its retirement cancels that one) and forgets it', () => {
    const withRef = [...base, confirmed(4, 'r1', 3, 'r1@AMS-1~2')];
    expect(foldLedger(withRef).reservations.get('r1')).toMatchObject({ allocationReference: 'r1@AMS-1~2' });
    spec.given(withRef).when(move(1, 'AMS-1', -3)).then([
      moved(5, 'AMS-1', -3, fedBy(1)),
      shortfall(6, 'AMS-1', 2, 0, fedBy(1)),
      { ...resourced(7, 'r1', 3, 2, 'AMS-1', 'EWR-1'), data: { reservationId: 'r1', qty: 2, from: 'AMS-1', to: 'EWR-1', completed: false, reason: 'stock_shortfall', reference: 'r1@AMS-1~2' } } as SkuEvent,
    ]);
    const after = foldLedger([...withRef, moved(5, 'AMS-1', -3, fedBy(1)), shortfall(6, 'AMS-1', 2, 0, fedBy(1)), resourced(7, 'r1', 3, 2, 'AMS-1', 'EWR-1')]);
    expect(after.reservations.get('r1')).toMatchObject({ location: 'EWR-1', allocation: 'pending', allocationReference: null });
  });

  it('a release names it; a confirmation from an older bridge (no reference) names none', () => {
    spec.given([...base, confirmed(4, 'r1', 3, 'r1')]).when({ type: 'AdminRelease', data: { reservationId: 'r1', cause: { kind: 'admin', keyId: 'k1' } } }).then([{
      type: 'StockReleased', sku: SKU, version: 5, at: at(), causedBy: stream(3),
      data: { reservationId: 'r1', qty: 2, reason: 'admin', refundDue: false, location: 'AMS-1', reference: 'r1', cause: { kind: 'admin', keyId: 'k1' } },
    }]);
    spec.given([...base, confirmed(4, 'r1', 3)]).when({ type: 'AdminRelease', data: { reservationId: 'r1', cause: { kind: 'admin', keyId: 'k1' } } }).then([{
      type: 'StockReleased', sku: SKU, version: 5, at: at(), causedBy: stream(3),
      data: { reservationId: 'r1', qty: 2, reason: 'admin', refundDue: false, location: 'AMS-1', cause: { kind: 'admin', keyId: 'k1' } },
    }]);
  });

  it('the saga’s confirmation carries it into the event', () => {
    spec.given(base).when({ type: 'ConfirmAllocation', data: { reservationId: 'r1', allocationId: 'alloc-r1', reference: 'r1', location: 'AMS-1', resourcings: 0 } }).then([confirmed(4, 'r1', 3, 'r1')]);
  });
});
