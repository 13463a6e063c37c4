import { describe, it } from 'vitest';
import { skuLedgerDecider, type FailAllocation, type SkuEvent } from '../../../src/domain/sku';
import { deciderSpec } from '../../support/deciderSpec';

/*
 * Sagas across warehouses (issue 23): a warehouse that refuses an allocation for stock, or stays
 * unreachable past the deadline, hands the reservation to another location with its units.
 */

const NOW = Date.parse('2026-12-06T12:00:00.000Z');
const at = new Date(NOW).toISOString();
const spec = deciderSpec(skuLedgerDecider, NOW);
const SKU = 'SNKR-1';
const R1 = 'res_00000000000000000000000001';
const reservedAt = { [`sku:${SKU}`]: 4 };

const set = (version: number, onHand: number, location: string, priority: number): SkuEvent => ({
  type: 'StockSet', sku: SKU, version, at, causedBy: {}, data: { onHand, limitPerCustomer: null, location, priority },
});
// Three sites: Amsterdam (SOAP warehouse) first, Frankfurt (SAP) next, Rotterdam last with 1 unit.
const sites = [set(1, 5, 'AMS-1', 0), set(2, 4, 'FRA-1', 1), set(3, 1, 'RTM-1', 2)];
const held: SkuEvent = {
  type: 'StockReserved', sku: SKU, version: 4, at, causedBy: {},
  data: { reservationId: R1, customerId: 'c1', qty: 2, expiresAt: new Date(NOW + 300_000).toISOString(), location: 'AMS-1' },
};
const sold: SkuEvent = { type: 'ReservationCompleted', sku: SKU, version: 5, at, causedBy: reservedAt, data: { reservationId: R1, qty: 2, location: 'AMS-1' } };
const fail = (reason: FailAllocation['data']['reason'], tried?: string[], location = 'AMS-1'): FailAllocation => ({
  type: 'FailAllocation', data: { reservationId: R1, reason, location, ...(tried === undefined ? {} : { tried }) },
});
const resourced = (version: number, from: string, to: string, reason: 'wms_rejected' | 'wms_timeout', completed = false): SkuEvent => ({
  type: 'ReservationResourced', sku: SKU, version, at, causedBy: reservedAt,
  data: { reservationId: R1, qty: 2, from, to, completed, reason },
});

describe('a warehouse refuses or stays silent: the reservation moves to another location with its units', () => {
  it('a refusal for stock re-sources a held reservation to the next location by the sourcing rule', () => {
    spec.given([...sites, held]).when(fail('wms_rejected', [])).then([resourced(5, 'AMS-1', 'FRA-1', 'wms_rejected')]);
  });

  it('a warehouse unreachable past the deadline re-sources too, and a sold reservation moves as sold', () => {
    spec.given([...sites, held]).when(fail('wms_timeout', [])).then([resourced(5, 'AMS-1', 'FRA-1', 'wms_timeout')]);
    spec.given([...sites, held, sold]).when(fail('wms_timeout', [])).then([resourced(6, 'AMS-1', 'FRA-1', 'wms_timeout', true)]);
    spec.given([...sites, held, sold]).when(fail('wms_rejected', [])).then([resourced(6, 'AMS-1', 'FRA-1', 'wms_rejected', true)]);
  });

  it('never back to a location the saga tried, nor to one without all the units', () => {
    // Frankfurt tried already, Rotterdam has 1 unit of 2: nowhere to go, released as before.
    spec.given([...sites, held]).when(fail('wms_rejected', ['FRA-1'])).then([{
      type: 'StockReleased', sku: SKU, version: 5, at, causedBy: reservedAt,
      data: { reservationId: R1, qty: 2, reason: 'wms_rejected', refundDue: false, location: 'AMS-1', cause: { kind: 'saga', reservationId: R1 } },
    }]);
    // A sale nobody else can serve keeps asking its warehouse (invariant no-sale-undone-by-our-outage).
    spec.given([...sites, held, sold]).when(fail('wms_timeout', ['FRA-1'])).thenFails({ code: 'reservation_completed' });
  });

  it('a verdict that names nothing tried (an older bridge) releases as before', () => {
    spec.given([...sites, held]).when(fail('wms_rejected')).then([{
      type: 'StockReleased', sku: SKU, version: 5, at, causedBy: reservedAt,
      data: { reservationId: R1, qty: 2, reason: 'wms_rejected', refundDue: false, location: 'AMS-1', cause: { kind: 'saga', reservationId: R1 } },
    }]);
  });

  it('a SKU that names no location has nowhere else to go', () => {
    const plain: SkuEvent[] = [
      { type: 'StockSet', sku: SKU, version: 1, at, causedBy: {}, data: { onHand: 5, limitPerCustomer: null } },
      { type: 'StockReserved', sku: SKU, version: 2, at, causedBy: {}, data: { reservationId: R1, customerId: 'c1', qty: 2, expiresAt: new Date(NOW + 300_000).toISOString() } },
    ];
    spec.given(plain).when({ type: 'FailAllocation', data: { reservationId: R1, reason: 'wms_rejected', tried: [] } }).then([{
      type: 'StockReleased', sku: SKU, version: 3, at, causedBy: { [`sku:${SKU}`]: 2 },
      data: { reservationId: R1, qty: 2, reason: 'wms_rejected', refundDue: false, cause: { kind: 'saga', reservationId: R1 } },
    }]);
  });
});
