import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { changedPolicy, holdSeconds, MAX_TTL_SECONDS, NO_POLICY, policyRefusal, skuCounters, skuLedgerDecider, type SalePolicy, type SkuEvent } from '../../../src/domain/sku';
import { deciderSpec } from '../../support/deciderSpec';

/** Issue 26: a SKU's sale policy, enforced by the domain on every reserve. */
const NOW = Date.parse('2026-12-07T12:00:00.000Z');
const at = (offsetMs = 0) => new Date(NOW + offsetMs).toISOString();
const spec = deciderSpec(skuLedgerDecider, NOW);
const SKU = 'DROP-1';
const R1 = 'res_00000000000000000000000001';

const policy = (p: Partial<SalePolicy>): SalePolicy => ({ ...NO_POLICY, ...p });
const stockSet = (onHand: number, p?: SalePolicy, version = 1): SkuEvent => ({
  type: 'StockSet', sku: SKU, version, at: at(), causedBy: {}, data: { onHand, limitPerCustomer: null, ...(p ? { policy: p } : {}) },
});
const reserve = (qty: number, ttlSeconds = 300, ttlDefaulted?: true) => ({
  type: 'Reserve' as const, data: { sku: SKU, reservationId: R1, customerId: 'c1', qty, ttlSeconds, ...(ttlDefaulted ? { ttlDefaulted } : {}) },
});
const reserved = (qty: number, holdSeconds: number): SkuEvent => ({
  type: 'StockReserved', sku: SKU, version: 2, at: at(), causedBy: {}, data: { reservationId: R1, customerId: 'c1', qty, expiresAt: at(holdSeconds * 1000) },
});

describe('a SKU sale policy', () => {
  it('is set with the stock and recorded on StockSet; a field left out keeps its rule, null removes it', () => {
    const drop = policy({ maxQtyPerReservation: 2, startsAt: at(60_000) });
    spec.given([]).when({ type: 'SetStock', data: { sku: SKU, onHand: 10, policy: { maxQtyPerReservation: 2, startsAt: at(60_000) } } }).then([stockSet(10, drop)]);
    spec.given([stockSet(10, drop)]).when({ type: 'SetStock', data: { sku: SKU, onHand: 10, policy: { startsAt: null, maxHoldSeconds: 120 } } })
      .then([stockSet(10, policy({ maxQtyPerReservation: 2, maxHoldSeconds: 120 }), 2)]);
    // No policy in the command: the event carries none, and the SKU keeps the one it had.
    spec.given([stockSet(10, drop)]).when({ type: 'SetStock', data: { sku: SKU, onHand: 12 } }).then([stockSet(12, undefined, 2)]);
  });

  it('refuses a default hold longer than the maximum', () => {
    spec.given([]).when({ type: 'SetStock', data: { sku: SKU, onHand: 10, policy: { maxHoldSeconds: 60, defaultHoldSeconds: 120 } } })
      .thenFails({ code: 'invalid_command', reason: 'defaultHoldSeconds (120) must not exceed maxHoldSeconds (60)' });
  });

  it('refuses reserves before the sale starts, with when it starts; accepts from that instant', () => {
    spec.given([stockSet(10, policy({ startsAt: at(1) }))]).when(reserve(1)).thenFails({ code: 'sale_not_started', startsAt: at(1) });
    spec.given([stockSet(10, policy({ startsAt: at(0) }))]).when(reserve(1)).then([reserved(1, 300)]);
  });

  it('refuses more units per reservation than the maximum, before the customer limit is looked at', () => {
    spec.given([stockSet(10, policy({ maxQtyPerReservation: 2 }))]).when(reserve(3)).thenFails({ code: 'qty_over_maximum', maxQtyPerReservation: 2 });
    spec.given([stockSet(10, policy({ maxQtyPerReservation: 2 }))]).when(reserve(2)).then([reserved(2, 300)]);
  });

  it('holds a reservation no longer than the maximum, and for its own default when the buyer asked none', () => {
    const rules = policy({ maxHoldSeconds: 120, defaultHoldSeconds: 90 });
    spec.given([stockSet(10, rules)]).when(reserve(1, 3_600)).then([reserved(1, 120)]);
    spec.given([stockSet(10, rules)]).when(reserve(1, 60)).then([reserved(1, 60)]);
    spec.given([stockSet(10, rules)]).when(reserve(1, 300, true)).then([reserved(1, 90)]);
  });

  it('shows in the counters only when it has a rule', () => {
    const fold = (events: SkuEvent[]) => skuCounters(events.reduce((l, e) => skuLedgerDecider.evolve(l, e), skuLedgerDecider.initialState()).state);
    expect(fold([stockSet(10)])).not.toHaveProperty('policy');
    expect(fold([stockSet(10, policy({ maxQtyPerReservation: 2 }))]).policy).toEqual(policy({ maxQtyPerReservation: 2 }));
    expect(fold([stockSet(10, policy({ maxQtyPerReservation: 2 })), stockSet(10, NO_POLICY, 2)])).not.toHaveProperty('policy');
  });

  it('a hold is never longer than the maximum, nor than asked unless the buyer asked none (property)', () => {
    const seconds = fc.integer({ min: 1, max: MAX_TTL_SECONDS });
    fc.assert(fc.property(fc.option(seconds, { nil: null }), fc.option(seconds, { nil: null }), seconds, fc.boolean(), (max, def, asked, defaulted) => {
      const rules = changedPolicy(NO_POLICY, { maxHoldSeconds: max, defaultHoldSeconds: def });
      if (typeof rules === 'string') {
        expect(max !== null && def !== null && def > max).toBe(true);
        return;
      }
      const held = holdSeconds(rules, asked, defaulted);
      if (max !== null) expect(held).toBeLessThanOrEqual(max);
      if (!defaulted || def === null) expect(held).toBeLessThanOrEqual(asked);
      expect(held).toBeGreaterThanOrEqual(1);
    }));
  });

  it('refuses nothing without rules (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer(), (qty, now) => {
      expect(policyRefusal(NO_POLICY, qty, now)).toBeNull();
    }));
  });
});
