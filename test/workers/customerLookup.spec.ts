import { describe, expect, it } from 'vitest';
import { call, createSku, reserve, uniqueSku } from '../support/api';

/** Issue 26: a lookup names its customer in a header, not in the URL (which reaches request logs). */
describe('the customer of a lookup', () => {
  it('comes from X-Customer-Id; the customerId query parameter still works, answered as deprecated', async () => {
    const sku = uniqueSku('lookup');
    await createSku(sku, 5);
    const { json: held } = await reserve(sku, { customerId: 'ann', qty: 1 }, 'l-1');
    const at = `/v1/skus/${sku}/reservations/${held.reservationId}`;
    const byHeader = await call('GET', at, { headers: { 'x-customer-id': 'ann' } });
    expect(byHeader.status).toBe(200);
    expect(byHeader.json.reservationId).toBe(held.reservationId);
    expect(byHeader.headers.get('Deprecation')).toBeNull();
    const byQuery = await call('GET', `${at}?customerId=ann`);
    expect(byQuery.status).toBe(200);
    expect(byQuery.headers.get('Deprecation')).toBe('true');
    // Another customer's id finds nothing, whichever way it is sent.
    expect((await call('GET', at, { headers: { 'x-customer-id': 'bob' } })).json.error.code).toBe('reservation_not_found');
    const cancelled = await call('DELETE', at, { headers: { 'x-customer-id': 'ann' } });
    expect(cancelled.json.status).toBe('released');
  });

  it('is required, and the two ways must agree', async () => {
    const sku = uniqueSku('lookup');
    await createSku(sku, 5);
    const { json: held } = await reserve(sku, { customerId: 'ann', qty: 1 }, 'l-2');
    const at = `/v1/skus/${sku}/reservations/${held.reservationId}`;
    const missing = await call('GET', at);
    expect(missing.status).toBe(400);
    expect(missing.json).toEqual({ error: { code: 'invalid_request', message: 'X-Customer-Id: required (the customer whose reservation or checkout this is)' } });
    const disagree = await call('DELETE', `${at}?customerId=bob`, { headers: { 'x-customer-id': 'ann' } });
    expect(disagree.status).toBe(400);
    expect(disagree.json.error.message).toBe('X-Customer-Id and customerId name different customers');
    expect((await call('GET', at, { headers: { 'x-customer-id': 'ann' } })).json.status).toBe('held');
  });

  it('works for a checkout: read and cancelled by header', async () => {
    const sku = uniqueSku('lookup-cart');
    await createSku(sku, 5);
    const started = await call('POST', '/v1/checkouts', { body: { customerId: 'cy', lines: [{ sku, qty: 2 }] }, headers: { 'idempotency-key': 'l-3' } });
    expect(started.status).toBe(201);
    const at = `/v1/checkouts/${started.json.checkoutId}`;
    expect((await call('GET', at, { headers: { 'x-customer-id': 'cy' } })).json.status).toBe('reserved');
    expect((await call('GET', at)).status).toBe(400);
    expect((await call('DELETE', at, { headers: { 'x-customer-id': 'cy' } })).json.status).toBe('cancelled');
  });
});
