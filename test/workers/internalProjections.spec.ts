import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { viewKey, type StoredView } from '../../durable-objects/sku/projection';
import { signatureHeaders } from '../../src/internal/signature';
import { call, createSku, reserve, uniqueSku } from '../support/api';

async function signed(method: 'GET' | 'POST', path: string, body?: unknown) {
  const raw = body === undefined ? '' : JSON.stringify(body);
  const headers = await signatureHeaders('test-internal-new', { method, path, body: raw }, Date.now());
  return call(method, path, { key: null, ...(body === undefined ? {} : { rawBody: raw }), headers: { ...headers, 'content-type': 'application/json' } });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('internal projection routes (rebuild)', () => {
  it('shadow → views through each SKU object → switch, with the old generation retiring', async () => {
    const start = await signed('GET', '/internal/projections');
    expect(start.status).toBe(200);
    expect(start.json).toEqual({ active: 'g1', shadow: null, retiring: [] });

    // A SKU with history before the rebuild starts: its object writes only g1 for now.
    const sku = uniqueSku('rebuild');
    const created = await createSku(sku, 10);
    await reserve(sku, { customerId: 'c', qty: 2 }, 'k');
    const { source: _s, ...v1 } = created;
    await sleep(300);

    const shadow = await signed('POST', '/internal/projections/shadow', {});
    expect(shadow.json).toEqual({ active: 'g1', shadow: 'g2', retiring: [] });
    expect((await signed('POST', '/internal/projections/shadow', {})).json.shadow).toBe('g2');

    // Deferred while the object wrote its keys within the last second (or has not heard of g2 yet); then written.
    let result: Record<string, number> = {};
    for (let attempt = 0; attempt < 10; attempt++) {
      result = (await signed('POST', '/internal/projections/views', { generation: 'g2', views: [v1] })).json;
      if (result.written === 1) break;
      expect(result).toEqual({ written: 0, stale: 0, deferred: 1, refused: 0 });
      await sleep(300);
    }
    expect(result).toEqual({ written: 1, stale: 0, deferred: 0, refused: 0 });
    // The object is further along than the replayed view: it wrote its own newest view, to g1 and g2 alike.
    const [g1, g2] = [await env.PROJECTIONS.get<StoredView>(viewKey('g1', sku), 'json'), await env.PROJECTIONS.get<StoredView>(viewKey('g2', sku), 'json')];
    expect(g2).toMatchObject({ version: 2, available: 8 });
    expect(g1?.version).toBe(2);
    // An older or equal view is never written over a newer one; a view ahead of the object is refused.
    expect((await signed('POST', '/internal/projections/views', { generation: 'g2', views: [v1] })).json).toEqual({ written: 0, stale: 1, deferred: 0, refused: 0 });
    expect((await signed('POST', '/internal/projections/views', { generation: 'g2', views: [{ ...v1, version: 99 }] })).json.refused).toBe(1);

    const switched = await signed('POST', '/internal/projections/switch', { graceSeconds: 30 });
    expect(switched.json.active).toBe('g2');
    expect(switched.json.retiring.map((r: { generation: string }) => r.generation)).toEqual(['g1']);
    expect((await signed('POST', '/internal/projections/switch', { graceSeconds: 30 })).status).toBe(400);
  });

  it('after its grace period the retired generation’s views are deleted', async () => {
    const sku = uniqueSku('retire');
    await createSku(sku, 4);
    const { json: before } = await signed('GET', '/internal/projections');
    const old = before.active as string;
    const deadline = Date.now() + 5_000;
    while (!(await env.PROJECTIONS.get(viewKey(old, sku))) && Date.now() < deadline) await sleep(50);
    expect(await env.PROJECTIONS.get(viewKey(old, sku))).not.toBeNull();

    await signed('POST', '/internal/projections/shadow', {});
    const switched = await signed('POST', '/internal/projections/switch', { graceSeconds: 0 });
    expect(switched.json.active).not.toBe(old);
    while ((await env.PROJECTIONS.get(viewKey(old, sku))) && Date.now() < deadline + 5_000) await sleep(100);
    expect(await env.PROJECTIONS.get(viewKey(old, sku))).toBeNull();
  });

  it('unsigned calls are refused', async () => {
    expect((await call('POST', '/internal/projections/shadow', { key: null, body: {} })).status).toBe(401);
  });
});
