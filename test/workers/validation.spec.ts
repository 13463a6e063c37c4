import { describe, expect, it } from 'vitest';
import { ADMIN, call, createSku, eventsOf, uniqueSku } from '../support/api';

const sku = uniqueSku('valid');
const good = { customerId: 'c1', qty: 1 };
const post = (path: string, init: { body?: unknown; rawBody?: string; headers?: Record<string, string> }) =>
  call('POST', path, { ...init, headers: { 'idempotency-key': 'k', ...init.headers } });
const reservations = `/v1/skus/${sku}/reservations`;

async function expectRefused(response: Awaited<ReturnType<typeof call>>, code = 'invalid_request') {
  expect(response.status).toBe(400);
  expect(response.json.error.code).toBe(code);
  expect(typeof response.json.error.message).toBe('string');
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
}

describe('bad input gets 400 and changes nothing', () => {
  it('setup', async () => {
    await createSku(sku, 10);
  });

  it.each([
    ['qty 0', { ...good, qty: 0 }],
    ['qty -1', { ...good, qty: -1 }],
    ['qty 1.5', { ...good, qty: 1.5 }],
    ['qty "1"', { ...good, qty: '1' }],
    ['qty 1e308', { ...good, qty: 1e308 }],
    ['qty 10001', { ...good, qty: 10_001 }],
    ['qty missing', { customerId: 'c1' }],
    ['qty null', { ...good, qty: null }],
    ['customerId missing', { qty: 1 }],
    ['customerId empty', { ...good, customerId: '' }],
    ['customerId with spaces', { ...good, customerId: 'a b' }],
    ['customerId 200 chars', { ...good, customerId: 'c'.repeat(200) }],
    ['ttlSeconds 0', { ...good, ttlSeconds: 0 }],
    ['ttlSeconds 3601', { ...good, ttlSeconds: 3601 }],
    ['unknown field status', { ...good, status: 'completed' }],
    ['unknown field version', { ...good, version: 7 }],
    ['array body', [good]],
    ['null body', null],
    ['string body', 'reserve'],
  ])('body: %s', async (_, body) => {
    await expectRefused(await post(reservations, { rawBody: JSON.stringify(body), headers: { 'content-type': 'application/json' } }));
  });

  it.each([
    ['empty', '/v1/skus//reservations'],
    ['200 chars', `/v1/skus/${'a'.repeat(200)}/reservations`],
    ['../x', '/v1/skus/..%2Fx/reservations'],
    ['unicode', '/v1/skus/%C3%A9t%C3%A9/reservations'],
    ['leading dot', '/v1/skus/.hidden/reservations'],
    ['space', '/v1/skus/a%20b/reservations'],
    ['undecodable', '/v1/skus/a%E0%A4%A/reservations'],
  ])('sku: %s', async (_, path) => {
    const res = await post(path, { body: good });
    await expectRefused(res);
    expect(res.json.error.message).toBe('sku must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$');
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['256 chars', 'k'.repeat(256)],
    ['non-ASCII', 'clé'],
  ])('Idempotency-Key: %s', async (_, key) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (key !== undefined) headers['idempotency-key'] = key;
    await expectRefused(await call('POST', reservations, { rawBody: JSON.stringify(good), headers }));
  });

  it('invalid JSON', async () => {
    await expectRefused(await post(reservations, { rawBody: '{"customerId": "c1", "qty": ', headers: { 'content-type': 'application/json' } }));
  });

  it('1 MB body', async () => {
    const huge = JSON.stringify({ ...good, pad: 'x'.repeat(1024 * 1024) });
    await expectRefused(await post(reservations, { rawBody: huge, headers: { 'content-type': 'application/json' } }));
  });

  it('deeply nested body', async () => {
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    await expectRefused(await post(reservations, { rawBody: deep, headers: { 'content-type': 'application/json' } }));
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', ''])('content type %j', async (type) => {
    await expectRefused(await post(reservations, { rawBody: JSON.stringify(good), headers: { 'content-type': type } }));
  });

  it.each([
    ['onHand -1', { onHand: -1 }],
    ['onHand 1.5', { onHand: 1.5 }],
    ['limitPerCustomer 0', { onHand: 5, limitPerCustomer: 0 }],
    ['expectedVersion -1', { onHand: 5, expectedVersion: -1 }],
    ['unknown field', { onHand: 5, sold: 3 }],
  ])('admin stock: %s', async (_, body) => {
    await expectRefused(await call('PUT', `/v1/admin/skus/${sku}/stock`, { key: ADMIN, body }));
  });

  it.each(['after=-1', 'after=1.5', 'limit=0', 'limit=1001', 'limit=abc'])('events query %s', async (query) => {
    await expectRefused(await call('GET', `/v1/admin/skus/${sku}/events?${query}`, { key: ADMIN }));
  });

  it('reading a reservation needs customerId', async () => {
    await expectRefused(await call('GET', `/v1/skus/${sku}/reservations/res_00000000000000000000000000`));
  });

  it.each(['res_x', 'res_00000000000000000000000000_64', 'res_00000000000000000000000000_99', 'res_00000000000000000000000000_0', `res_${'A'.repeat(26)}`])(
    'a reservation id that no reservation can have: %s (before any object is asked)', async (id) => {
      const res = await call('GET', `/v1/skus/${sku}/reservations/${id}?customerId=a`);
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe('invalid_request');
      expect(res.json.error.message).toContain('not a reservation id');
    },
  );

  it('none of it touched the SKU', async () => {
    const events = await eventsOf(sku);
    expect(events.map((e) => e.type)).toEqual(['StockSet']);
  });

  it('unknown routes answer 404 in the error shape', async () => {
    const res = await call('GET', '/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.json).toEqual({ error: { code: 'not_found', message: 'no such route' } });
  });
});
