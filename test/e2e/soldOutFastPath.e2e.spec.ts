import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './support/system';
import { ADMIN_KEY, startWorker, STOREFRONT_KEY } from './support/worker';

/** The sold-out fast path needs its own Worker settings, hence its own Worker here. */
let worker: Awaited<ReturnType<typeof startWorker>>;

beforeAll(async () => {
  worker = await startWorker({ SOLD_OUT_FAST_PATH: 'on', SOLD_OUT_FRESH_MS: '60000' });
});
afterAll(async () => worker?.close());

const call = async (method: string, path: string, key: string, body?: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(`${worker.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as any };
};

describe('sold-out fast path', () => {
  it('a fresh projection at zero refuses at the edge, marked as such, without asking the object', async () => {
    const sku = 'FAST-1';
    expect((await call('PUT', `/v1/admin/skus/${sku}/stock`, ADMIN_KEY, { onHand: 1 })).status).toBe(200);
    const reserve = (i: number) => call('POST', `/v1/skus/${sku}/reservations`, STOREFRONT_KEY, { customerId: `c${i}`, qty: 1 }, { 'idempotency-key': `k${i}` });
    expect((await reserve(1)).status).toBe(201);
    await waitFor('the sold-out projection', async () => (await call('GET', `/v1/skus/${sku}`, STOREFRONT_KEY)).json.available === 0, 10_000, 100);

    const refused = await reserve(2);
    expect(refused).toEqual({
      status: 409,
      json: { error: { code: 'insufficient_stock', message: 'only 0 unit(s) available', details: { available: 0, source: 'projection' } } },
    });
    // The object was not asked: it kept no record of that key, so nothing was stored for a replay.
    const events = await worker.env.SKU.getByName(sku).events(sku, 0, 100);
    expect(events.ok && events.value.lastVersion).toBe(2);
  });
});
