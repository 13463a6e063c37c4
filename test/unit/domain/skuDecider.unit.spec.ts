import { describe, it } from 'vitest';
import { skuLedgerDecider, type SkuEvent } from '../../../src/domain/sku';
import { deciderSpec } from '../../support/deciderSpec';

const NOW = Date.parse('2026-11-25T12:00:00.000Z');
const at = (offsetMs = 0) => new Date(NOW + offsetMs).toISOString();
const spec = deciderSpec(skuLedgerDecider, NOW);
const SKU = 'SNKR-1';
const R1 = 'res_00000000000000000000000001';
const stream = { [`sku:${SKU}`]: 2 };

const stockSet = (onHand: number, limitPerCustomer: number | null = null, version = 1): SkuEvent => ({
  type: 'StockSet', sku: SKU, version, at: at(), causedBy: {}, data: { onHand, limitPerCustomer },
});
const reserved = (version: number, qty = 2, customerId = 'c1', reservationId = R1, ttlMs = 300_000): SkuEvent => ({
  type: 'StockReserved', sku: SKU, version, at: at(), causedBy: {},
  data: { reservationId, customerId, qty, expiresAt: at(ttlMs) },
});
const completed = (version: number, qty = 2): SkuEvent => ({
  type: 'ReservationCompleted', sku: SKU, version, at: at(), causedBy: stream, data: { reservationId: R1, qty },
});
type Reason = 'cancelled' | 'expired' | 'admin' | 'wms_timeout' | 'wms_rejected';
// The saga's verdicts name the reservation whose saga decided them (audit).
const saga = { kind: 'saga' as const, reservationId: R1 };
const released = (version: number, reason: Reason, qty = 2, refundDue = false): SkuEvent => ({
  type: 'StockReleased', sku: SKU, version, at: at(), causedBy: stream,
  data: { reservationId: R1, qty, reason, refundDue, ...(reason === 'wms_timeout' || reason === 'wms_rejected' ? { cause: saga } : {}) },
});
const allocated = (version: number, allocationId = 'A-1'): SkuEvent => ({
  type: 'AllocationConfirmed', sku: SKU, version, at: at(), causedBy: stream, data: { reservationId: R1, allocationId, cause: saga },
});
const reserve = (qty = 2, customerId = 'c1', ttlSeconds = 300) => ({
  type: 'Reserve' as const, data: { sku: SKU, reservationId: R1, customerId, qty, ttlSeconds },
});

describe('SetStock', () => {
  it('sets stock on a new SKU', () => {
    spec.given([]).when({ type: 'SetStock', data: { sku: SKU, onHand: 10 } }).then([stockSet(10)]);
  });
  it('keeps the customer limit when the command omits it, removes it on null', () => {
    spec.given([stockSet(10, 2)]).when({ type: 'SetStock', data: { sku: SKU, onHand: 12 } }).then([stockSet(12, 2, 2)]);
    spec.given([stockSet(10, 2)])
      .when({ type: 'SetStock', data: { sku: SKU, onHand: 12, limitPerCustomer: null } })
      .then([stockSet(12, null, 2)]);
  });
  it('refuses to go below what is reserved and sold', () => {
    spec.given([stockSet(10), reserved(2, 4)])
      .when({ type: 'SetStock', data: { sku: SKU, onHand: 3 } })
      .thenFails({ code: 'below_committed', committed: 4 });
  });
  it('refuses a stale expected version', () => {
    spec.given([stockSet(10)])
      .when({ type: 'SetStock', data: { sku: SKU, onHand: 5, expectedVersion: 0 } })
      .thenFails({ code: 'version_conflict', currentVersion: 1, expectedVersion: 0 });
  });
  it('accepts the current expected version', () => {
    spec.given([stockSet(10)])
      .when({ type: 'SetStock', data: { sku: SKU, onHand: 5, expectedVersion: 1 } })
      .then([stockSet(5, null, 2)]);
  });
  it.each([-1, 1.5, Number.NaN, 2 ** 60])('refuses onHand %s', (onHand) => {
    spec.given([]).when({ type: 'SetStock', data: { sku: SKU, onHand } })
      .thenFails({ code: 'invalid_command', reason: 'onHand must be a non-negative integer' });
  });
});

describe('ReceiveStock', () => {
  it('adds units', () => {
    spec.given([stockSet(1)]).when({ type: 'ReceiveStock', data: { sku: SKU, qty: 4 } })
      .then([{ type: 'StockReceived', sku: SKU, version: 2, at: at(), causedBy: {}, data: { qty: 4 } }]);
  });
  it('needs an existing SKU', () => {
    spec.given([]).when({ type: 'ReceiveStock', data: { sku: SKU, qty: 4 } }).thenFails({ code: 'sku_not_found' });
  });
});

describe('Reserve', () => {
  it('holds units until the TTL', () => {
    spec.given([stockSet(10)]).when(reserve(2)).then([reserved(2, 2)]);
  });
  it('refuses more than is available, saying how much is', () => {
    spec.given([stockSet(3), reserved(2, 2)])
      .when({ ...reserve(2), data: { ...reserve(2).data, reservationId: 'res_2' } })
      .thenFails({ code: 'insufficient_stock', available: 1 });
  });
  it('refuses an unknown SKU', () => {
    spec.given([]).when(reserve()).thenFails({ code: 'sku_not_found' });
  });
  it('caps one customer at limitPerCustomer, counting bought units', () => {
    spec.given([stockSet(10, 3), reserved(2, 2), completed(3)])
      .when({ ...reserve(2), data: { ...reserve(2).data, reservationId: 'res_2' } })
      .thenFails({ code: 'customer_limit', limitPerCustomer: 3, activeUnits: 2 });
  });
  it('does not count released units against the limit', () => {
    const again = { ...reserve(3), data: { ...reserve(3).data, reservationId: 'res_2' } };
    spec.given([stockSet(10, 3), reserved(2, 2), released(3, 'cancelled')]).when(again).then([
      { type: 'StockReserved', sku: SKU, version: 4, at: at(), causedBy: {},
        data: { reservationId: 'res_2', customerId: 'c1', qty: 3, expiresAt: at(300_000) } },
    ]);
  });
  it('limits other customers independently', () => {
    spec.given([stockSet(10, 2), reserved(2, 2)])
      .when({ ...reserve(2, 'c2'), data: { ...reserve(2, 'c2').data, reservationId: 'res_2' } })
      .then([{ type: 'StockReserved', sku: SKU, version: 3, at: at(), causedBy: {},
        data: { reservationId: 'res_2', customerId: 'c2', qty: 2, expiresAt: at(300_000) } }]);
  });
  it.each([0, -1, 1.5, 10_001])('refuses qty %s', (qty) => {
    spec.given([stockSet(10)]).when(reserve(qty))
      .thenFails({ code: 'invalid_command', reason: 'qty must be an integer in 1..10000' });
  });
  it('carries the caller causal context', () => {
    spec.given([stockSet(10)]).when({ ...reserve(1), causedBy: { 'checkout:k1': 3 } })
      .then([{ ...reserved(2, 1), causedBy: { 'checkout:k1': 3 } }]);
  });
});

describe('CompletePurchase', () => {
  const complete = (customerId = 'c1') => ({ type: 'CompletePurchase' as const, data: { reservationId: R1, customerId } });
  it('turns held units into sold units', () => {
    spec.given([stockSet(10), reserved(2)]).when(complete()).then([completed(3)]);
  });
  it('is idempotent', () => {
    spec.given([stockSet(10), reserved(2), completed(3)]).when(complete()).thenNothing();
  });
  it('hides another customer reservation', () => {
    spec.given([stockSet(10), reserved(2)]).when(complete('c2')).thenFails({ code: 'reservation_not_found' });
  });
  it('refuses a released reservation', () => {
    spec.given([stockSet(10), reserved(2), released(3, 'expired')]).when(complete())
      .thenFails({ code: 'reservation_released', reason: 'expired' });
  });
  it('refuses once the TTL has passed, even before the alarm released it', () => {
    spec.given([stockSet(10), reserved(2, 2, 'c1', R1, -1)]).when(complete()).thenFails({ code: 'reservation_expired' });
  });
});

describe('CancelReservation', () => {
  const cancel = (customerId = 'c1') => ({ type: 'CancelReservation' as const, data: { reservationId: R1, customerId } });
  it('releases held units', () => {
    spec.given([stockSet(10), reserved(2)]).when(cancel()).then([released(3, 'cancelled')]);
  });
  it('is idempotent', () => {
    spec.given([stockSet(10), reserved(2), released(3, 'cancelled')]).when(cancel()).thenNothing();
  });
  it('cannot take back a completed purchase', () => {
    spec.given([stockSet(10), reserved(2), completed(3)]).when(cancel()).thenFails({ code: 'reservation_completed' });
  });
  it('hides another customer reservation', () => {
    spec.given([stockSet(10), reserved(2)]).when(cancel('c2')).thenFails({ code: 'reservation_not_found' });
  });
});

describe('ExpireReservation', () => {
  const expire = { type: 'ExpireReservation' as const, data: { reservationId: R1 } };
  it('releases a held reservation whose TTL passed', () => {
    spec.given([stockSet(10), reserved(2, 2, 'c1', R1, 0)]).when(expire).then([released(3, 'expired')]);
  });
  it('does nothing before the TTL (an early alarm)', () => {
    spec.given([stockSet(10), reserved(2, 2, 'c1', R1, 1)]).when(expire).thenNothing();
  });
  it('does nothing to a completed purchase', () => {
    spec.given([stockSet(10), reserved(2, 2, 'c1', R1, 0), completed(3)]).when(expire).thenNothing();
  });
  it('does nothing the second time (an alarm that fires twice)', () => {
    spec.given([stockSet(10), reserved(2, 2, 'c1', R1, 0), released(3, 'expired')]).when(expire).thenNothing();
  });
});

describe('AdminRelease', () => {
  it('releases a completed purchase (flagged for refund)', () => {
    spec.given([stockSet(10), reserved(2), completed(3)])
      .when({ type: 'AdminRelease', data: { reservationId: R1 } }).then([released(4, 'admin', 2, true)]);
  });
  it('checks the expected version', () => {
    spec.given([stockSet(10), reserved(2)])
      .when({ type: 'AdminRelease', data: { reservationId: R1, expectedVersion: 1 } })
      .thenFails({ code: 'version_conflict', currentVersion: 2, expectedVersion: 1 });
  });
});

describe('allocation (driven by the WMS saga)', () => {
  const confirm = (allocationId = 'A-1') => ({ type: 'ConfirmAllocation' as const, data: { reservationId: R1, allocationId } });
  const fail = (reason: 'wms_timeout' | 'wms_rejected') => ({ type: 'FailAllocation' as const, data: { reservationId: R1, reason } });
  it('confirms a pending allocation', () => {
    spec.given([stockSet(10), reserved(2)]).when(confirm()).then([allocated(3)]);
  });
  it('ignores a duplicate confirmation', () => {
    spec.given([stockSet(10), reserved(2), allocated(3)]).when(confirm()).thenNothing();
  });
  it('refuses a second, different allocation', () => {
    spec.given([stockSet(10), reserved(2), allocated(3)]).when(confirm('A-2'))
      .thenFails({ code: 'allocation_conflict', allocationId: 'A-1' });
  });
  it('tells the saga that a late success came after the release', () => {
    spec.given([stockSet(10), reserved(2), released(3, 'wms_timeout')]).when(confirm())
      .thenFails({ code: 'reservation_released', reason: 'wms_timeout' });
  });
  it.each(['wms_timeout', 'wms_rejected'] as const)('compensates a failure (%s) with a release', (reason) => {
    spec.given([stockSet(10), reserved(2)]).when(fail(reason)).then([released(3, reason)]);
  });
  it('ignores a failure for a reservation already released', () => {
    spec.given([stockSet(10), reserved(2), released(3, 'cancelled')]).when(fail('wms_timeout')).thenNothing();
  });
  it('refuses a failure after an allocation was confirmed', () => {
    spec.given([stockSet(10), reserved(2), allocated(3)]).when(fail('wms_rejected'))
      .thenFails({ code: 'allocation_conflict', allocationId: 'A-1' });
  });
  it('keeps a completed purchase the WMS could not be reached for: no wms_timeout release (invariant no-sale-undone-by-our-outage)', () => {
    spec.given([stockSet(10), reserved(2), completed(3)]).when(fail('wms_timeout')).thenFails({ code: 'reservation_completed' });
  });
  it('releases a completed purchase the WMS refused, flagged for a refund', () => {
    spec.given([stockSet(10), reserved(2), completed(3)]).when(fail('wms_rejected')).then([released(4, 'wms_rejected', 2, true)]);
  });
  it('a wms_timeout release that won the race against the purchase stands: the purchase is refused', () => {
    spec.given([stockSet(10), reserved(2), released(3, 'wms_timeout')])
      .when({ type: 'CompletePurchase', data: { reservationId: R1, customerId: 'c1' } })
      .thenFails({ code: 'reservation_released', reason: 'wms_timeout' });
  });
});
