import { describe, expect, it } from 'vitest';
import { checkoutRefusal, evolveCheckout, readReserve, readSettle, type CheckoutEvent, type CheckoutState } from '../../../src/domain/checkout';

/** Reservation ids as the SKU object makes them: 26 characters, then `_k` on shard k ≥ 1. */
const RES = 'res_01jd3k7m9q2w5e8r1t4y6u0i3o';

const refused = (code: string, details: Record<string, unknown> = {}) => ({ ok: false as const, error: { code, ...details } });

describe('how a checkout reads the answer to a line\'s reserve', () => {
  it('a reservation is recorded with its SKU version, and its shard when it is not the SKU\'s own stream', () => {
    expect(readReserve('A', { ok: true, value: { reservationId: RES, version: 4 } })).toEqual({
      ok: true, value: { type: 'LineReserved', data: { sku: 'A', reservationId: RES, skuVersion: 4 } },
    });
    expect(readReserve('A', { ok: true, value: { reservationId: `${RES}_3`, version: 2 } })).toEqual({
      ok: true, value: { type: 'LineReserved', data: { sku: 'A', reservationId: `${RES}_3`, skuVersion: 2, shard: 3 } },
    });
  });

  it.each(['insufficient_stock', 'customer_limit', 'sku_not_found', 'invalid_command'])('%s is the cart\'s fault: the line is refused, with the details', (code) => {
    expect(readReserve('B', refused(code, { available: 1 }))).toEqual({ ok: true, value: { type: 'LineRefused', data: { sku: 'B', code, details: { available: 1 } } } });
  });

  it('an abandoned reserve never ran: nothing is held, as for a released line', () => {
    expect(readReserve('A', refused('reservation_abandoned'))).toEqual({ ok: true, value: { type: 'LineReleased', data: { sku: 'A', skuVersion: null } } });
  });

  it.each(['overloaded', 'wrong_shard', 'idempotency_key_reused', 'internal'])('%s passes: the step is retried, nothing recorded', (code) => {
    expect(readReserve('A', refused(code))).toEqual({ ok: false, error: { retry: code } });
  });
});

describe('how a checkout reads the answer to a release or a completion', () => {
  it('completed (by the checkout, or on its own by the buyer) is recorded as completed', () => {
    expect(readSettle('A', RES, { ok: true, value: { status: 'completed', version: 7 } })).toEqual({
      ok: true, value: { type: 'LineCompleted', data: { sku: 'A', skuVersion: 7 } },
    });
    expect(readSettle('A', `${RES}_2`, refused('reservation_completed'))).toEqual({
      ok: true, value: { type: 'LineCompleted', data: { sku: 'A', skuVersion: null, shard: 2 } },
    });
  });

  it('released, expired or gone: nothing is held, recorded as released', () => {
    expect(readSettle('A', RES, { ok: true, value: { status: 'released', version: 5 } })).toEqual({
      ok: true, value: { type: 'LineReleased', data: { sku: 'A', skuVersion: 5 } },
    });
    for (const code of ['reservation_released', 'reservation_expired', 'reservation_not_found']) {
      expect(readSettle('A', `${RES}_5`, refused(code)), code).toEqual({ ok: true, value: { type: 'LineReleased', data: { sku: 'A', skuVersion: null, shard: 5 } } });
    }
  });

  it('any other refusal passes: the step is retried', () => {
    expect(readSettle('A', RES, refused('overloaded'))).toEqual({ ok: false, error: { retry: 'overloaded' } });
  });
});

describe('what the buyer is told of a checkout', () => {
  const started: CheckoutEvent = {
    type: 'CheckoutStarted',
    data: { checkoutId: 'chk_1', customerId: 'ann', lines: [{ sku: 'A', qty: 1 }, { sku: 'B', qty: 2 }], ttlSeconds: 300, requestHash: 'h' },
  };
  const given = (...events: CheckoutEvent[]): CheckoutState => events.reduce<CheckoutState | null>(evolveCheckout, null)!;
  const lineRefused: CheckoutEvent = { type: 'LineRefused', data: { sku: 'B', code: 'insufficient_stock', details: { available: 1 } } };
  const held: CheckoutEvent = { type: 'LineReserved', data: { sku: 'A', reservationId: 'r1', skuVersion: 2 } };

  it('a failed checkout is refused, naming the line and why', () => {
    const failed = given(started, held, lineRefused, { type: 'LineReleased', data: { sku: 'A', skuVersion: 3 } });
    expect(checkoutRefusal(failed)).toEqual({ code: 'checkout_refused', checkoutId: 'chk_1', sku: 'B', reason: 'insufficient_stock', details: { available: 1 } });
  });

  it('while compensating, or reserved, it is not (yet) refused', () => {
    expect(checkoutRefusal(given(started, held, lineRefused))).toBeNull();
    expect(checkoutRefusal(given(started, held, { type: 'LineReserved', data: { sku: 'B', reservationId: 'r2', skuVersion: 1 } }))).toBeNull();
  });
});
