import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { CHECKOUTS_TOPIC, EVENTS_TOPIC } from '../../bridge/eventLog/topics';
import { createMetrics } from '../../bridge/metrics';
import { startOrdersView } from '../../bridge/orders/ordersView';
import { embeddedLogForFile } from './support/embeddedLog';

const log = embeddedLogForFile('orders-view-');

const at = '2026-11-25T10:00:00.000Z';
const checkoutId = `chk_${'0f'.repeat(16)}`;
const checkoutRecord = (version: number, type: string, data: object, causedBy: Record<string, number> = {}) => ({
  key: checkoutId,
  value: JSON.stringify({ type, checkoutId, version, at, causedBy, data }),
});
const skuRecord = (sku: string, version: number, type: string, data: object, causedBy: Record<string, number> = {}) => ({
  key: sku,
  value: JSON.stringify({ type, sku, version, at, causedBy, data }),
});

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
  expect(check()).toBe(true);
}

describe('order view in the bridge', () => {
  it('holds a SKU event until the checkout event that caused it arrives, shows what it waits for, then applies both', async () => {
    let now = 1_000_000;
    const metrics = createMetrics();
    const view = await startOrdersView({ log, metrics, logger: pino({ level: 'silent' }), holdAlertSeconds: 30, now: () => now });
    try {
      await log.append(EVENTS_TOPIC, [
        skuRecord('OV-A', 1, 'StockSet', { onHand: 5, limitPerCustomer: null }),
        skuRecord('OV-A', 2, 'StockReserved', { reservationId: 'r1', customerId: 'ann', qty: 2, expiresAt: at }, { [`checkout:${checkoutId}`]: 1 }),
        skuRecord('OV-A', 3, 'AllocationConfirmed', { reservationId: 'r1', allocationId: 'w1' }, { 'sku:OV-A': 2 }),
      ]);
      await until(() => view.causal().held === 2);
      now += 45_000;
      expect(view.causal()).toMatchObject({ held: 2, oldestHeldSeconds: 45, missing: { [`checkout:${checkoutId}`]: 1 } });
      expect(view.get(checkoutId)).toBeNull();
      expect(await metrics.registry.getSingleMetricAsString('bridge_causal_held_events')).toContain('bridge_causal_held_events{consumer="orders"} 2');

      await log.append(CHECKOUTS_TOPIC, [
        checkoutRecord(2, 'LineReserved', { sku: 'OV-A', reservationId: 'r1', skuVersion: 2 }, { 'sku:OV-A': 2 }),
        checkoutRecord(1, 'CheckoutStarted', { checkoutId, customerId: 'ann', lines: [{ sku: 'OV-A', qty: 2 }], ttlSeconds: 300, requestHash: 'h' }),
      ]);
      // Version 2 arrived before version 1 on purpose: the stream's own order is restored too.
      await until(() => view.causal().held === 0 && view.get(checkoutId)?.version === 2);
      expect(view.get(checkoutId)).toEqual({
        checkoutId,
        customerId: 'ann',
        status: 'reserved',
        version: 2,
        lines: [{ sku: 'OV-A', qty: 2, state: 'held', reservationId: 'r1', purchase: 'held', allocation: 'allocated', releaseReason: null }],
      });
      expect(view.causal()).toEqual({ held: 0, oldestHeldSeconds: null, missing: {}, alerting: false });
    } finally {
      await view.stop();
    }
  });
});
