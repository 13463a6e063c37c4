import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createSku, eventsOf, STOREFRONT_2, uniqueSku } from '../support/api';
import { edgeWith } from './edgeWith';

/** Issue 26: reserves and checkouts rate-limited per (key owner, customer) and per key, by the Rate Limiting binding. */
const strict = (env as unknown as { RATE_LIMIT_STRICT: RateLimit }).RATE_LIMIT_STRICT;
const RATE_LIMITED = (scope: 'customer' | 'key') => ({
  error: { code: 'rate_limited', message: `too many requests for this ${scope === 'customer' ? 'customer' : 'API key'} now; retry in 10 s`, details: { scope } },
});

describe('rate limits at the edge', () => {
  it('a customer past the limit is answered 429 with Retry-After, nothing reserved; other customers and other keys are not', async () => {
    const edge = edgeWith({ RATE_LIMIT_CUSTOMER: strict });
    const sku = uniqueSku('limited');
    await createSku(sku, 100);
    const customer = `bot-${sku}`;
    const send = (key: string, customerId = customer, apiKey?: string) =>
      edge('POST', `/v1/skus/${sku}/reservations`, { body: { customerId, qty: 1 }, headers: { 'idempotency-key': key }, ...(apiKey ? { key: apiKey } : {}) });
    for (let i = 0; i < 3; i++) expect((await send(`ok-${i}`)).status).toBe(201);
    const refused = await send('over');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('Retry-After')).toBe('10');
    expect(refused.json).toEqual(RATE_LIMITED('customer'));
    expect((await eventsOf(sku)).filter((e) => e.type === 'StockReserved')).toHaveLength(3);
    expect((await send('someone-else', `human-${sku}`)).status).toBe(201);
    // Another key's customer of the same name is another customer.
    expect((await send('other-key', customer, STOREFRONT_2)).status).toBe(201);
  });

  it('a key past its limit is answered 429 whatever the customer, checkouts included', async () => {
    const edge = edgeWith({ RATE_LIMIT_KEY: strict });
    const sku = uniqueSku('keyed');
    await createSku(sku, 100);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await edge('POST', `/v1/skus/${sku}/reservations`, { body: { customerId: `fresh-${i}`, qty: 1 }, headers: { 'idempotency-key': `k-${i}` }, key: STOREFRONT_2 })).status);
    expect(statuses).toEqual([201, 201, 201]);
    const cart = await edge('POST', '/v1/checkouts', { body: { customerId: 'fresh-9', lines: [{ sku, qty: 1 }] }, headers: { 'idempotency-key': 'cart' }, key: STOREFRONT_2 });
    expect(cart.status).toBe(429);
    expect(cart.json).toEqual(RATE_LIMITED('key'));
    expect((await eventsOf(sku)).filter((e) => e.type === 'StockReserved')).toHaveLength(3);
  });
});
