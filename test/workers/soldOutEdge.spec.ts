import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { soldOutCacheKey } from '../../src/api/soldOutEdge';
import { homeShard, streamOf } from '../../src/domain/sku';
import { ADMIN, call, createSku, uniqueSku } from '../support/api';
import { edgeWith } from './edgeWith';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The real SKU namespace, its stubs' `reserve` calls counted on their way through: what shows that
 * an answer came from the edge's memory and not from an object.
 */
function counting() {
  const calls: string[] = [];
  const wrap = (stub: DurableObjectStub, name: string) =>
    new Proxy(stub, {
      get: (target, method) => {
        const value = Reflect.get(target, method) as unknown;
        if (method !== 'reserve' || typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls.push(name);
          // An RPC method is a stub itself: called as a method, never through Function.prototype.
          return (target as unknown as Record<string, (...a: unknown[]) => unknown>).reserve!(...args);
        };
      },
    });
  const namespace = {
    getByName: (name: string) => wrap(env.SKU.getByName(name), name),
    idFromName: (name: string) => env.SKU.idFromName(name),
    get: (id: DurableObjectId) => wrap(env.SKU.get(id), id.toString()),
  } as unknown as typeof env.SKU;
  return { namespace, calls };
}

const SOLD_OUT = { error: { code: 'insufficient_stock', message: 'only 0 unit(s) available', details: { available: 0 } } };
let n = 0;
const buyer = (sku: string, customerId: string, headers: Record<string, string> = {}) =>
  ['POST', `/v1/skus/${sku}/reservations`, { body: { customerId, qty: 1 }, headers: { 'idempotency-key': `k-${n++}`, ...headers } }] as const;

describe('sold out answered at the edge from the objects\' own refusals (ADR 0020)', () => {
  it('after an object refused with nothing left, refuses from memory with the same status and body, without an object call; no-cache asks the object', async () => {
    const sku = uniqueSku('edge-out');
    await createSku(sku, 1);
    const { namespace, calls } = counting();
    const edge = edgeWith({ SKU: namespace, SOLD_OUT_EDGE_MS: '1000' });
    expect((await edge(...buyer(sku, 'a'))).status).toBe(201);
    const fromObject = await edge(...buyer(sku, 'b'));
    const fromMemory = await edge(...buyer(sku, 'c'));
    const retried = await edge(...buyer(sku, 'd', { 'cache-control': 'no-cache' }));
    expect([fromObject, fromMemory, retried].map((r) => [r.status, r.json, r.headers.get('cache-status')])).toEqual([
      [409, SOLD_OUT, null],
      [409, SOLD_OUT, 'inventory-edge; hit'],
      [409, SOLD_OUT, null],
    ]);
    expect(calls).toEqual([sku, sku, sku]);
  });

  it('a refusal with units left (too few for the request) is not remembered', async () => {
    const sku = uniqueSku('edge-few');
    await createSku(sku, 1);
    const { namespace, calls } = counting();
    const edge = edgeWith({ SKU: namespace, SOLD_OUT_EDGE_MS: '1000' });
    const body = (customerId: string) => ({ body: { customerId, qty: 2 }, headers: { 'idempotency-key': `k-${n++}` } });
    const refused = await edge('POST', `/v1/skus/${sku}/reservations`, body('a'));
    expect([refused.status, refused.json.error.details]).toEqual([409, { available: 1 }]);
    expect((await edge(...buyer(sku, 'b'))).status).toBe(201);
    expect(calls).toEqual([sku, sku]);
  });

  it('a cancel through this isolate makes the unit sellable at once', async () => {
    const sku = uniqueSku('edge-cancel');
    await createSku(sku, 1);
    const { namespace, calls } = counting();
    const edge = edgeWith({ SKU: namespace, SOLD_OUT_EDGE_MS: '1000' });
    const held = await edge(...buyer(sku, 'a'));
    expect((await edge(...buyer(sku, 'b'))).status).toBe(409);
    expect((await edge(...buyer(sku, 'c'))).headers.get('cache-status')).toBe('inventory-edge; hit');
    expect((await edge('DELETE', `/v1/skus/${sku}/reservations/${held.json.reservationId}?customerId=a`)).status).toBe(200);
    expect((await edge(...buyer(sku, 'd'))).status).toBe(201);
    expect(calls).toEqual([sku, sku, sku]);
  });

  it('a unit returned by expiry is sold to a new buyer within 1 s of its return (default window)', async () => {
    const sku = uniqueSku('edge-expiry');
    await createSku(sku, 1);
    const edge = edgeWith({});
    const held = await edge('POST', `/v1/skus/${sku}/reservations`, { body: { customerId: 'a', qty: 1, ttlSeconds: 1 }, headers: { 'idempotency-key': `k-${n++}` } });
    expect(held.status).toBe(201);
    expect((await edge(...buyer(sku, 'b'))).status).toBe(409);
    // Buyers keep coming every 20 ms; a watcher asks the object when the unit is back.
    let backAt: number | null = null;
    const watching = (async () => {
      while (backAt === null) {
        if ((await call('GET', `/v1/skus/${sku}?consistent=true`)).json.available === 1) backAt = Date.now();
        await sleep(10);
      }
    })();
    const answers: { status: number; at: number; edge: boolean }[] = [];
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && answers.at(-1)?.status !== 201) {
      const r = await edge(...buyer(sku, `late-${n}`));
      answers.push({ status: r.status, at: Date.now(), edge: r.headers.get('cache-status') !== null });
      await sleep(20);
    }
    const soldAt = answers.at(-1)!;
    expect(soldAt.status).toBe(201);
    // The watcher may see the unit back just after the buyer took it: then it never came back unsold.
    await Promise.race([watching, sleep(200)]);
    // The unit is back no earlier than its expiry (the alarm's own delay counts against the edge here).
    expect(soldAt.at - (backAt ?? Date.parse(held.json.expiresAt))).toBeLessThan(1_000);
    expect(answers.some((a) => a.edge)).toBe(true);
  });

  it('another isolate\'s word through the Cache API refuses here too, only while within the window', async () => {
    const fresh = uniqueSku('edge-cache');
    const stale = uniqueSku('edge-cache-stale');
    await createSku(fresh, 5);
    await createSku(stale, 5);
    // Setting the stock cleared the SKUs' entries and looked at the cache: a window later it is looked at again.
    await sleep(1_050);
    const put = (sku: string, at: number) =>
      caches.default.put(soldOutCacheKey(sku), new Response(JSON.stringify({ at }), { headers: { 'content-type': 'application/json', 'cache-control': 'max-age=1' } }));
    await put(fresh, Date.now());
    await put(stale, Date.now() - 2_000);
    const { namespace, calls } = counting();
    const edge = edgeWith({ SKU: namespace, SOLD_OUT_EDGE_MS: '1000' });
    const refused = await edge(...buyer(fresh, 'a'));
    expect([refused.status, refused.json]).toEqual([409, SOLD_OUT]);
    expect((await edge(...buyer(stale, 'a'))).status).toBe(201);
    expect(calls).toEqual([stale]);
  });

  it('a sharded SKU is refused at the edge once one shard refused a single unit: it refuses only after its siblings had none to lend', async () => {
    const sku = uniqueSku('edge-sharded');
    const set = await call('PUT', `/v1/admin/skus/${sku}/stock`, { key: ADMIN, body: { onHand: 2, shards: 2 } });
    expect(set.status).toBe(200);
    const on = (k: number, prefix: string) => {
      for (let i = 0; ; i++) if (homeShard(`${prefix}-${i}`, 2) === k) return `${prefix}-${i}`;
    };
    const { namespace, calls } = counting();
    const edge = edgeWith({ SKU: namespace, SOLD_OUT_EDGE_MS: '1000' });
    // The first buyer lives on shard 1: the isolate learns the layout from shard 0's wrong_shard.
    expect((await edge(...buyer(sku, on(1, 'x')))).status).toBe(201);
    expect((await edge(...buyer(sku, on(0, 'x')))).status).toBe(201);
    calls.length = 0;
    const shard0 = await edge(...buyer(sku, on(0, 'y')));
    const fromMemory = [await edge(...buyer(sku, on(0, 'z'))), await edge(...buyer(sku, on(1, 'y')))];
    expect([shard0, ...fromMemory].map((r) => [r.status, r.json, r.headers.get('cache-status')])).toEqual([
      [409, SOLD_OUT, null],
      [409, SOLD_OUT, 'inventory-edge; hit'],
      [409, SOLD_OUT, 'inventory-edge; hit'],
    ]);
    expect(calls).toEqual([sku]);
    // Its buyers' retries (no-cache) still reach the objects.
    expect((await edge(...buyer(sku, on(1, 'v'), { 'cache-control': 'no-cache' }))).status).toBe(409);
    expect(calls).toEqual([sku, streamOf(sku, 1)]);
  });
});
