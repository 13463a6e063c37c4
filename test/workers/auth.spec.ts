import { describe, expect, it } from 'vitest';
import { ADMIN, call, createSku, reserve, STOREFRONT, uniqueSku } from '../support/api';

describe('bearer keys and roles', () => {
  it.each([
    ['no key', null],
    ['unknown key', 'nope'],
    ['empty key', ''],
  ])('%s → 401', async (_, key) => {
    const res = await call('GET', '/v1/skus/ANY-1', { key });
    expect(res.status).toBe(401);
    expect(res.json).toEqual({ error: { code: 'unauthorized', message: 'missing or unknown bearer key' } });
  });

  it('authentication comes before validation: bad input without a key → 401', async () => {
    const res = await call('POST', '/v1/skus/..%2Fx/reservations', { key: null, rawBody: '{', headers: { 'content-type': 'text/plain' } });
    expect(res.status).toBe(401);
  });

  it('a non-Bearer scheme → 401', async () => {
    const res = await call('GET', '/v1/skus/ANY-1', { key: null, headers: { authorization: `Basic ${btoa('a:b')}` } });
    expect(res.status).toBe(401);
  });

  it.each([
    ['PUT', '/v1/admin/skus/ANY-1/stock', { onHand: 1 }],
    ['POST', '/v1/admin/skus/ANY-1/receipts', { qty: 1 }],
    ['GET', '/v1/admin/skus/ANY-1/events', undefined],
  ])('storefront key on %s %s → 403', async (method, path, body) => {
    const res = await call(method, path, { key: STOREFRONT, body });
    expect(res.status).toBe(403);
    expect(res.json).toEqual({ error: { code: 'forbidden', message: 'this key may not use this route' } });
  });

  it('another customer cannot see, complete or cancel a reservation: 404 as if it did not exist', async () => {
    const sku = uniqueSku('auth');
    await createSku(sku, 5);
    const mine = await reserve(sku, { customerId: 'alice', qty: 1 }, 'k');
    const id = mine.json.reservationId;
    const missing = await call('GET', `/v1/skus/${sku}/reservations/res_00000000000000000000000000?customerId=mallory`);
    const attempts = [
      await call('GET', `/v1/skus/${sku}/reservations/${id}?customerId=mallory`),
      await call('POST', `/v1/skus/${sku}/reservations/${id}/complete`, { body: { customerId: 'mallory' } }),
      await call('DELETE', `/v1/skus/${sku}/reservations/${id}?customerId=mallory`),
    ];
    for (const res of attempts) {
      expect(res.status).toBe(404);
      expect(res.json).toEqual(missing.json);
    }
    const still = await call('GET', `/v1/skus/${sku}/reservations/${id}?customerId=alice`);
    expect(still.json.status).toBe('held');
  });

  it('an admin key may use storefront routes', async () => {
    const sku = uniqueSku('auth');
    await createSku(sku, 5);
    expect((await call('GET', `/v1/skus/${sku}`, { key: ADMIN })).status).toBe(200);
  });
});
