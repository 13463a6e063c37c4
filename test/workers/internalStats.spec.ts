import { runDurableObjectAlarm } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { signatureHeaders } from '../../src/contract/signature';
import { ADMIN, call, createSku, reserve, signed, uniqueSku } from '../support/api';

describe('the live view the bridge dashboard polls', () => {
  it('counters and reserve outcomes by code, summed over a sharded SKU, unknown SKUs left out', async () => {
    const plain = uniqueSku('stats');
    const hot = uniqueSku('stats-hot');
    await createSku(plain, 3, 2);
    expect((await call('PUT', `/v1/admin/skus/${hot}/stock`, { key: ADMIN, body: { onHand: 4, shards: 4 } })).status).toBe(200);
    expect((await reserve(plain, { customerId: 'a', qty: 2 }, 'k1')).status).toBe(201);
    expect((await reserve(plain, { customerId: 'a', qty: 1 }, 'k2')).json.error.code).toBe('customer_limit');
    expect((await reserve(plain, { customerId: 'b', qty: 2 }, 'k3')).json.error.code).toBe('insufficient_stock');
    const burst = await Promise.all(Array.from({ length: 6 }, (_, i) => reserve(hot, { customerId: `buyer-${i}`, qty: 1 }, `h${i}`)));
    expect(burst.map((r) => r.status).sort()).toEqual([201, 201, 201, 201, 409, 409]);
    const res = await signed('POST', '/internal/stats', { skus: [plain, hot, uniqueSku('never-set')] });
    expect(res.status).toBe(200);
    const [plainStats, hotStats, ...rest] = res.json.skus;
    expect(rest).toEqual([]);
    expect(plainStats).toMatchObject({ sku: plain, counters: { onHand: 3, reserved: 2, available: 1 }, outcomes: { reserved: 1, customer_limit: 1, insufficient_stock: 1 } });
    expect(hotStats).toMatchObject({ sku: hot, counters: { onHand: 4, reserved: 4, available: 0, shards: 4 }, outcomes: { reserved: 4, insufficient_stock: 2 } });
    expect(Date.parse(hotStats.since)).toBeLessThanOrEqual(Date.now());
    // Hoarding (issue 26): who holds most now, over every shard; nothing let expire yet.
    expect(plainStats.hoarding).toEqual({ topHolders: [{ customerId: 'a', units: 2 }], expiredUnits: 0 });
    expect(hotStats.hoarding.topHolders).toHaveLength(4);
    expect(hotStats.hoarding.topHolders.every((h: { units: number }) => h.units === 1)).toBe(true);
  });

  it('hoarding: the top holders by units held now, and the units held then let expire unbought', async () => {
    const sku = uniqueSku('hoard');
    await createSku(sku, 20);
    for (const [i, [customerId, qty, ttlSeconds]] of ([['bot', 5, 1], ['bot', 4, 600], ['amy', 2, 600], ['ben', 1, 600]] as const).entries()) {
      expect((await reserve(sku, { customerId, qty, ttlSeconds }, `hoard-${i}`)).status).toBe(201);
    }
    const stats = async () => (await signed('POST', '/internal/stats', { skus: [sku] })).json.skus[0].hoarding;
    expect(await stats()).toEqual({ topHolders: [{ customerId: 'bot', units: 9 }, { customerId: 'amy', units: 2 }, { customerId: 'ben', units: 1 }], expiredUnits: 0 });
    // The bot's 1-second hold lapses: its 5 units are counted as let expire unbought, and no longer held.
    await runDurableObjectAlarm(env.SKU.getByName(sku));
    for (let i = 0; i < 40 && (await stats()).expiredUnits === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      await runDurableObjectAlarm(env.SKU.getByName(sku));
    }
    expect(await stats()).toEqual({ topHolders: [{ customerId: 'bot', units: 4 }, { customerId: 'amy', units: 2 }, { customerId: 'ben', units: 1 }], expiredUnits: 5 });
  });

  it('signed only: a bearer key does not open it, a signature is good once', async () => {
    const path = '/internal/stats';
    const body = JSON.stringify({ skus: ['x'] });
    expect((await call('POST', path, { key: ADMIN, rawBody: body, headers: { 'content-type': 'application/json' } })).status).toBe(401);
    const headers = { ...(await signatureHeaders('test-internal-new', { method: 'POST', path, body }, Date.now())), 'content-type': 'application/json' };
    expect((await call('POST', path, { key: null, rawBody: body, headers })).status).toBe(200);
    expect((await call('POST', path, { key: null, rawBody: body, headers })).json).toMatchObject({ error: { code: 'invalid_signature', details: { reason: 'replayed' } } });
  });
});
