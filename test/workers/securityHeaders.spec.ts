import { describe, expect, it } from 'vitest';
import { call, createSku, reserve, uniqueSku } from '../support/api';

/** Issue 26: what every answer of the edge says about itself, refusals included. */
const expectHardened = (headers: Headers) => {
  expect(headers.get('X-Content-Type-Options')).toBe('nosniff');
  expect(headers.get('Strict-Transport-Security')).toBe('max-age=15552000; includeSubDomains');
  expect(headers.get('X-Frame-Options')).toBe('SAMEORIGIN');
  expect(headers.get('Referrer-Policy')).toBe('no-referrer');
};

describe('security headers', () => {
  it('a reservation (it carries the customer id) is hardened and stored by no cache', async () => {
    const sku = uniqueSku('headers');
    await createSku(sku, 5);
    const res = await reserve(sku, { customerId: 'ann', qty: 1 }, 'h-1');
    expect(res.status).toBe(201);
    expectHardened(res.headers);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    const read = await call('GET', `/v1/skus/${sku}/reservations/${res.json.reservationId}?customerId=ann`);
    expectHardened(read.headers);
    expect(read.headers.get('Cache-Control')).toBe('no-store');
  });

  it('a refusal is hardened too, and so is a read of the SKU from its object', async () => {
    const refused = await call('GET', '/v1/skus/anything', { key: null });
    expect(refused.status).toBe(401);
    expectHardened(refused.headers);
    expect(refused.headers.get('Cache-Control')).toBe('no-store');
    const sku = uniqueSku('view');
    await createSku(sku, 5);
    const view = await call('GET', `/v1/skus/${sku}?consistent=true`);
    expect(view.headers.get('Cache-Control')).toBe('no-store');
    expectHardened(view.headers);
  });
});
