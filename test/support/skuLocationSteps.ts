import fc from 'fast-check';
import type { SkuCommand } from '../../src/domain/sku';

/** Random commands on one SKU over three named locations and the implicit `default`: what the location properties replay. */
export const SKU = 'HOT-1';
const ids = ['res_a', 'res_b', 'res_c', 'res_d', 'res_e', 'res_f'];
const customers = ['alice', 'bob', 'carol'];
// `undefined`: the implicit `default` location, as a SKU that named none uses it.
const location = fc.constantFrom('AMS-1', 'EWR-1', 'SIN-1', undefined);
const region = fc.option(fc.constantFrom('eu', 'us', 'asia'), { nil: undefined });

const id = fc.constantFrom(...ids);
const customer = fc.constantFrom(...customers);

export const locationCommand: fc.Arbitrary<SkuCommand> = fc.oneof(
  fc.record({ onHand: fc.integer({ min: 0, max: 12 }), location, priority: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }), region })
    .map(({ location: l, priority, region: r, onHand }) => ({
      type: 'SetStock' as const,
      data: { sku: SKU, onHand, location: l, ...(l === undefined ? {} : { priority, region: r }) },
    })),
  fc.record({ qty: fc.integer({ min: 1, max: 5 }), location }).map((d) => ({ type: 'ReceiveStock' as const, data: { sku: SKU, ...d } })),
  {
    weight: 5,
    arbitrary: fc
      .record({ reservationId: id, customerId: customer, qty: fc.integer({ min: 1, max: 6 }), ttlSeconds: fc.integer({ min: 1, max: 20 }), region })
      .map((d) => ({ type: 'Reserve' as const, data: { sku: SKU, ...d } })),
  },
  fc.record({ reservationId: id, customerId: customer }).map((data) => ({ type: 'CompletePurchase' as const, data })),
  fc.record({ reservationId: id, customerId: customer }).map((data) => ({ type: 'CancelReservation' as const, data })),
  fc.record({ reservationId: id }).map((data) => ({ type: 'ExpireReservation' as const, data })),
  fc.record({ reservationId: id }).map((data) => ({ type: 'AdminRelease' as const, data })),
  fc.record({ reservationId: id, reason: fc.constantFrom('wms_timeout' as const, 'wms_rejected' as const) })
    .map((data) => ({ type: 'FailAllocation' as const, data })),
);
export const locationStep = fc.record({ advanceMs: fc.integer({ min: 0, max: 8_000 }), command: locationCommand });
