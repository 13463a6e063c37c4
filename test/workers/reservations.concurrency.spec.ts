import { describe, expect, it } from 'vitest';
import { evolve, initialSkuState, skuCounters, SkuEventSchema } from '../../src/domain/sku';
import { call, createSku, eventsOf, reserve, uniqueSku } from '../support/api';
import { edgeWith } from './edgeWith';

describe('a flash sale on one SKU', () => {
  it('1,000 concurrent buyers against 100 units: exactly 100 succeed, nothing oversold', async () => {
    const sku = uniqueSku('hot');
    await createSku(sku, 100);

    // Every buyer is decided here, none shed: one object in workerd on a test machine takes seconds
    // for 1,000 commands, past the admission bound (shedding is admission.spec.ts's subject).
    const decidingAll = edgeWith({ ADMISSION_MAX_WAIT_MS: '0' });
    const responses = await Promise.all(
      Array.from({ length: 1_000 }, (_, i) =>
        decidingAll('POST', `/v1/skus/${sku}/reservations`, { body: { customerId: `buyer-${i}`, qty: 1 }, headers: { 'idempotency-key': `key-${i}` } }),
      ),
    );

    const created = responses.filter((r) => r.status === 201);
    const refused = responses.filter((r) => r.status === 409);
    expect(created).toHaveLength(100);
    expect(refused).toHaveLength(900);
    for (const r of refused) {
      expect(r.json).toEqual({
        error: { code: 'insufficient_stock', message: 'only 0 unit(s) available', details: { available: 0 } },
      });
    }
    expect(new Set(created.map((r) => r.json.reservationId)).size).toBe(100);

    // The log is contiguous, well-formed, and its fold is exactly what the object reports.
    const events = await eventsOf(sku);
    expect(events.map((e) => e.version)).toEqual(Array.from({ length: 101 }, (_, i) => i + 1));
    events.forEach((e) => SkuEventSchema.parse(e));
    const folded = skuCounters(events.reduce(evolve, initialSkuState()));
    const view = await call('GET', `/v1/skus/${sku}?consistent=true`);
    expect(view.json).toEqual({ ...folded, source: 'primary' });
    expect(view.json).toMatchObject({ onHand: 100, reserved: 100, sold: 0, available: 0, version: 101 });
  });

  it('mixed quantities under contention never exceed stock', async () => {
    const sku = uniqueSku('mixed');
    await createSku(sku, 50);
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) => reserve(sku, { customerId: `b-${i}`, qty: (i % 4) + 1 }, `k-${i}`)),
    );
    const granted = responses.filter((r) => r.status === 201).reduce((n, r) => n + r.json.qty, 0);
    expect(granted).toBeLessThanOrEqual(50);
    const view = await call('GET', `/v1/skus/${sku}?consistent=true`);
    expect(view.json.reserved).toBe(granted);
    expect(view.json.available).toBe(50 - granted);
    // Anything refused was refused only because it no longer fit.
    for (const r of responses.filter((x) => x.status === 409)) {
      expect(r.json.error.code).toBe('insufficient_stock');
    }
  });
});
