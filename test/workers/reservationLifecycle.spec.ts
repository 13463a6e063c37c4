import { describe, expect, it } from 'vitest';
import { ReservationSchema, SkuViewSchema } from '../../src/contract/schemas';
import { ADMIN, call, createSku, eventsOf, reserve, uniqueSku } from '../support/api';

describe('a reservation from hold to sale', () => {
  it('reserve → read with history → complete → sold', async () => {
    const sku = uniqueSku('life');
    await createSku(sku, 10);
    const held = await reserve(sku, { customerId: 'alice', qty: 2, ttlSeconds: 120 }, 'k1');
    expect(held.status).toBe(201);
    expect(ReservationSchema.parse(held.json)).toEqual(held.json);
    expect(held.json).toMatchObject({ sku, customerId: 'alice', qty: 2, status: 'held', allocation: 'pending', version: 2 });
    expect(held.json.reservationId).toMatch(/^res_[0-9a-v]{26}$/);
    expect(Date.parse(held.json.expiresAt) - Date.now()).toBeGreaterThan(110_000);

    const done = await call('POST', `/v1/skus/${sku}/reservations/${held.json.reservationId}/complete`, { body: { customerId: 'alice' } });
    expect(done.status).toBe(200);
    expect(done.json).toMatchObject({ status: 'completed', version: 3 });
    const again = await call('POST', `/v1/skus/${sku}/reservations/${held.json.reservationId}/complete`, { body: { customerId: 'alice' } });
    expect(again.json).toEqual(done.json);

    const detail = await call('GET', `/v1/skus/${sku}/reservations/${held.json.reservationId}`, { headers: { 'x-customer-id': 'alice' } });
    // The buyer's history: what happened and when, none of the log's internals (issue 26).
    expect(detail.json.history).toEqual([
      { type: 'StockReserved', at: expect.any(String), qty: held.json.qty, expiresAt: held.json.expiresAt },
      { type: 'ReservationCompleted', at: expect.any(String), qty: held.json.qty },
    ]);

    const view = await call('GET', `/v1/skus/${sku}?consistent=true`);
    expect(SkuViewSchema.parse(view.json)).toEqual(view.json);
    expect(view.json).toMatchObject({ onHand: 10, reserved: 0, sold: 2, available: 8, source: 'primary', version: 3 });
    expect(view.headers.get('cache-control')).toBe('no-store');

    const cancel = await call('DELETE', `/v1/skus/${sku}/reservations/${held.json.reservationId}?customerId=alice`);
    expect(cancel.status).toBe(409);
    expect(cancel.json.error.code).toBe('reservation_completed');
  });

  it('cancel releases the units, is idempotent, and a later complete is refused', async () => {
    const sku = uniqueSku('life');
    await createSku(sku, 3);
    const held = await reserve(sku, { customerId: 'bob', qty: 3 }, 'k');
    const path = `/v1/skus/${sku}/reservations/${held.json.reservationId}`;
    const first = await call('DELETE', `${path}?customerId=bob`);
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ status: 'released', releaseReason: 'cancelled' });
    const second = await call('DELETE', `${path}?customerId=bob`);
    expect(second.json).toEqual(first.json);
    expect((await call('GET', `/v1/skus/${sku}?consistent=true`)).json.available).toBe(3);
    const late = await call('POST', `${path}/complete`, { body: { customerId: 'bob' } });
    expect(late.status).toBe(409);
    expect(late.json).toEqual({
      error: { code: 'reservation_released', message: 'the reservation was released (cancelled)', details: { reason: 'cancelled' } },
    });
    expect((await eventsOf(sku)).filter((e) => e.type === 'StockReleased')).toHaveLength(1);
  });

  it('limitPerCustomer caps one buyer across reservations', async () => {
    const sku = uniqueSku('life');
    await createSku(sku, 100, 2);
    expect((await reserve(sku, { customerId: 'eve', qty: 2 }, 'a')).status).toBe(201);
    const more = await reserve(sku, { customerId: 'eve', qty: 1 }, 'b');
    expect(more.status).toBe(409);
    expect(more.json.error).toMatchObject({ code: 'customer_limit', details: { limitPerCustomer: 2, activeUnits: 2 } });
    expect((await reserve(sku, { customerId: 'frank', qty: 2 }, 'a')).status).toBe(201);
  });

  it('unknown SKU → 404 sku_not_found', async () => {
    const sku = uniqueSku('ghost');
    const read = await call('GET', `/v1/skus/${sku}?consistent=true`);
    expect(read.status).toBe(404);
    expect(read.json).toEqual({ error: { code: 'sku_not_found', message: 'no such SKU' } });
    expect((await reserve(sku, { customerId: 'c', qty: 1 }, 'k')).json.error.code).toBe('sku_not_found');
  });

  it('SKUs are case-sensitive: two names, two objects', async () => {
    const sku = uniqueSku('Case');
    await createSku(sku, 1);
    expect((await call('GET', `/v1/skus/${sku.toLowerCase()}`)).status).toBe(404);
  });

  it('admin: receipts, release with refund flag, and the paged event log', async () => {
    const sku = uniqueSku('admin');
    await createSku(sku, 2);
    const receipt = await call('POST', `/v1/admin/skus/${sku}/receipts`, {
      key: ADMIN, body: { qty: 3 }, headers: { 'idempotency-key': 'delivery-7' },
    });
    expect(receipt.json).toMatchObject({ onHand: 5, version: 2 });
    const replay = await call('POST', `/v1/admin/skus/${sku}/receipts`, {
      key: ADMIN, body: { qty: 3 }, headers: { 'idempotency-key': 'delivery-7' },
    });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.json).toEqual(receipt.json);

    const held = await reserve(sku, { customerId: 'c', qty: 2 }, 'k');
    await call('POST', `/v1/skus/${sku}/reservations/${held.json.reservationId}/complete`, { body: { customerId: 'c' } });
    const released = await call('POST', `/v1/admin/skus/${sku}/reservations/${held.json.reservationId}/release`, { key: ADMIN, body: {} });
    expect(released.json).toMatchObject({ status: 'released', releaseReason: 'admin', refundDue: true });
    expect((await call('GET', `/v1/skus/${sku}?consistent=true`)).json).toMatchObject({ sold: 0, available: 5 });

    const page = await call('GET', `/v1/admin/skus/${sku}/events?after=1&limit=2`, { key: ADMIN });
    expect(page.json.events.map((e: any) => e.version)).toEqual([2, 3]);
    expect(page.json).toMatchObject({ lastVersion: 5, nextAfter: 3 });
    const rest = await call('GET', `/v1/admin/skus/${sku}/events?after=3`, { key: ADMIN });
    expect(rest.json.events.map((e: any) => e.type)).toEqual(['ReservationCompleted', 'StockReleased']);
    expect(rest.json.nextAfter).toBeNull();
  });

  it('serves /healthz and an OpenAPI 3.1 document of every public route (internal ones hidden)', async () => {
    expect((await call('GET', '/healthz', { key: null })).json).toEqual({ status: 'ok' });
    const doc = (await call('GET', '/openapi.json', { key: null })).json;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/v1/admin/skus/{sku}/adjustments',
      '/v1/admin/skus/{sku}/events',
      '/v1/admin/skus/{sku}/receipts',
      '/v1/admin/skus/{sku}/relay',
      '/v1/admin/skus/{sku}/reservations/{id}/release',
      '/v1/admin/skus/{sku}/shards',
      '/v1/admin/skus/{sku}/stock',
      '/v1/skus/{sku}',
      '/v1/skus/{sku}/reservations',
      '/v1/skus/{sku}/reservations/{id}',
      '/v1/skus/{sku}/reservations/{id}/complete',
    ].concat(['/v1/checkouts', '/v1/checkouts/{id}', '/v1/checkouts/{id}/complete']).sort());
    expect(doc.components.schemas.ReserveRequest.additionalProperties).toBe(false);
  });
});
