import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  available,
  contextFor,
  decide,
  emptyLedger,
  foldLedger,
  record,
  type SkuCommand,
  type SkuEvent,
  type SkuLedger,
} from '../../../src/domain/sku';
import { replaySkuSteps } from '../../support/skuSteps';

const SKU = 'HOT-1';
const ids = ['res_a', 'res_b', 'res_c', 'res_d', 'res_e', 'res_f'];
const customers = ['alice', 'bob', 'carol'];

const id = fc.constantFrom(...ids);
const customer = fc.constantFrom(...customers);
const qty = fc.integer({ min: -1, max: 8 });
const expectedVersion = fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined });

const command: fc.Arbitrary<SkuCommand> = fc.oneof(
  fc.record({ onHand: fc.integer({ min: -1, max: 30 }), limitPerCustomer: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }), expectedVersion })
    .map((d) => ({ type: 'SetStock' as const, data: { sku: SKU, ...d } })),
  fc.record({ qty, expectedVersion }).map((d) => ({ type: 'ReceiveStock' as const, data: { sku: SKU, ...d } })),
  {
    // Reservations are the contended path: weight them so most runs push stock to zero.
    weight: 5,
    arbitrary: fc
      .record({ reservationId: id, customerId: customer, qty, ttlSeconds: fc.integer({ min: 1, max: 20 }) })
      .map((d) => ({ type: 'Reserve' as const, data: { sku: SKU, ...d } })),
  },
  fc.record({ reservationId: id, customerId: customer }).map((data) => ({ type: 'CompletePurchase' as const, data })),
  fc.record({ reservationId: id, customerId: customer }).map((data) => ({ type: 'CancelReservation' as const, data })),
  fc.record({ reservationId: id }).map((data) => ({ type: 'ExpireReservation' as const, data })),
  fc.record({ reservationId: id, expectedVersion }).map((data) => ({ type: 'AdminRelease' as const, data })),
  fc.record({ reservationId: id, allocationId: fc.constantFrom('A1', 'A2') }).map((data) => ({ type: 'ConfirmAllocation' as const, data })),
  fc.record({ reservationId: id, reason: fc.constantFrom('wms_timeout' as const, 'wms_rejected' as const) })
    .map((data) => ({ type: 'FailAllocation' as const, data })),
);

/** A step: the clock moves forward (sometimes across TTL boundaries), then a command runs. */
const step = fc.record({ advanceMs: fc.integer({ min: 0, max: 8_000 }), command });

function checkInvariants({ state, reservations, units }: SkuLedger, log: readonly SkuEvent[]) {
  expect(available(state)).toBeGreaterThanOrEqual(0);
  expect(state.reserved + state.sold).toBeLessThanOrEqual(state.onHand);
  expect(available(state) + state.reserved + state.sold).toBe(state.onHand);
  // Counters are a fold of the facts, never stored beside them: recompute from reservations.
  let held = 0;
  let sold = 0;
  const active = new Map<string, number>();
  for (const r of reservations.values()) {
    if (r.status !== 'released') active.set(r.customerId, (active.get(r.customerId) ?? 0) + r.qty);
    expect(['held', 'completed', 'released']).toContain(r.status);
    expect(['pending', 'allocated', 'failed']).toContain(r.allocation);
    if (r.status === 'held') held += r.qty;
    if (r.status === 'completed') sold += r.qty;
    if (r.allocation === 'failed') expect(r.status).toBe('released');
    if (r.refundDue) expect(r.status).toBe('released');
  }
  expect(state.reserved).toBe(held);
  expect(state.sold).toBe(sold);
  // The per-customer index the limit reads equals a count over the rows.
  for (const customer of customers) expect(units.get(customer) ?? 0).toBe(active.get(customer) ?? 0);
  log.forEach((event, i) => expect(event.version).toBe(i + 1));
  expect(state.version).toBe(log.length);
}

describe('SKU decider under random command sequences', () => {
  it('never oversells, conserves units, keeps versions contiguous, never releases a sale as wms_timeout', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 120 }), (steps) => {
        replaySkuSteps(steps, {
          // Invariant no-sale-undone-by-our-outage: a sale is never undone because the WMS could not be reached.
          onEvent: (event) => {
            if (event.type === 'StockReleased' && event.data.reason === 'wms_timeout') expect(event.data.refundDue).toBe(false);
          },
          afterStep: checkInvariants,
        });
      }),
      { numRuns: 1_000 },
    );
  });

  it('decides the same way for the same input (no hidden clock or randomness)', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 30 }), command, (setup, last) => {
        const now = Date.parse('2026-11-25T00:00:00Z');
        const ledger = emptyLedger();
        for (const c of setup) {
          const r = decide(c, contextFor(ledger, c), now);
          if (r.ok) r.value.forEach((e) => record(ledger, e));
        }
        expect(decide(last, contextFor(ledger, last), now)).toEqual(decide(last, contextFor(ledger, last), now));
      }),
    );
  });

  it('a context fold is total: events about unknown or finished reservations never throw and move no counter', () => {
    const event = fc.oneof(
      fc.record({ reservationId: id, qty: fc.integer({ min: 1, max: 5 }), reason: fc.constantFrom('cancelled' as const, 'expired' as const), refundDue: fc.boolean() })
        .map((data) => ({ type: 'StockReleased' as const, data })),
      fc.record({ reservationId: id, qty: fc.integer({ min: 1, max: 5 }) }).map((data) => ({ type: 'ReservationCompleted' as const, data })),
      fc.record({ reservationId: id, allocationId: fc.constant('A') }).map((data) => ({ type: 'AllocationConfirmed' as const, data })),
    );
    fc.assert(
      fc.property(fc.array(event, { maxLength: 20 }), (bodies) => {
        const { state } = foldLedger(bodies.map((body, i) => ({ ...body, sku: SKU, version: i + 1, at: new Date(0).toISOString(), causedBy: {} })));
        expect(state.version).toBe(bodies.length);
        expect(state.reserved).toBe(0);
        expect(state.sold).toBe(0);
      }),
    );
  });
});
