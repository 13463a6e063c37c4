import { describe, expect, it } from 'vitest';
import { evolve, initialSkuState, type SkuEvent } from '../../../src/domain/sku';

const SKU = 'HOT-1';
const AT = '2026-12-01T00:00:00.000Z';

describe('a SKU read model at flash-sale scale', () => {
  it('folds 1,000,000 reservations of a sale into counters whose snapshot record stays far below 64 KB', () => {
    let state = evolve(initialSkuState(), { type: 'StockSet', sku: SKU, version: 1, at: AT, causedBy: {}, data: { onHand: 2_000_000, limitPerCustomer: 2 } });
    let version = 1;
    const next = (body: Pick<SkuEvent, 'type' | 'data'>) => {
      version++;
      state = evolve(state, { ...body, sku: SKU, version, at: AT, causedBy: {} } as SkuEvent);
    };
    for (let i = 0; i < 1_000_000; i++) {
      const reservationId = `res_${i}`;
      next({ type: 'StockReserved', data: { reservationId, customerId: `c${i}`, qty: 1, expiresAt: AT } });
      if (i % 10 < 5) next({ type: 'ReservationCompleted', data: { reservationId, qty: 1 } });
      else if (i % 10 < 7) next({ type: 'StockReleased', data: { reservationId, qty: 1, reason: 'cancelled', refundDue: false } });
      // Every hundredth sale is refunded after completion: the units leave `sold`, not `reserved`.
      if (i % 100 === 0) next({ type: 'StockReleased', data: { reservationId, qty: 1, reason: 'admin', refundDue: true } });
    }
    expect(state).toMatchObject({ version, reserved: 300_000, sold: 500_000 - 10_000, onHand: 2_000_000 });
    expect(JSON.stringify(state).length).toBeLessThan(64 * 1024);
  });
});
