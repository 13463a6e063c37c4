import { env } from 'cloudflare:workers';
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { viewKey, type StoredView } from '../../durable-objects/sku/projection';
import { call, createSku, reserve, signed, uniqueSku } from '../support/api';

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

    const shadow = await signed('POST', '/internal/projections/shadow', { rebuild: 'r1' });
    expect(shadow.json).toEqual({ active: 'g1', shadow: 'g2', retiring: [], superseded: null });
    // The same rebuild asking again (a retried call) gets the same shadow.
    expect((await signed('POST', '/internal/projections/shadow', { rebuild: 'r1' })).json).toMatchObject({ shadow: 'g2', superseded: null });

    // Deferred while the object wrote its keys within the last second (or has not heard of g2 yet);
    // then written, or already stale: the object's own alarm may have written its newest view to
    // g2 first, once it heard of the shadow (a race the runtime decides; both leave g2 current).
    let result: Record<string, unknown> = {};
    for (let attempt = 0; attempt < 10; attempt++) {
      result = (await signed('POST', '/internal/projections/views', { generation: 'g2', views: [v1] })).json;
      if (result.written === 1 || result.stale === 1) break;
      expect(result).toEqual({ written: 0, stale: 0, deferred: 1, failed: 0, outcomes: [{ sku, result: 'deferred' }] });
      await sleep(300);
    }
    const landed = result.written === 1 ? 'written' : 'stale';
    expect(result).toEqual({ written: landed === 'written' ? 1 : 0, stale: landed === 'stale' ? 1 : 0, deferred: 0, failed: 0, outcomes: [{ sku, result: landed }] });
    // The object is further along than the replayed view: it wrote its own newest view, to g1 and g2 alike.
    const [g1, g2] = [await env.PROJECTIONS.get<StoredView>(viewKey('g1', sku), 'json'), await env.PROJECTIONS.get<StoredView>(viewKey('g2', sku), 'json')];
    expect(g2).toMatchObject({ version: 2, available: 8 });
    expect(g1?.version).toBe(2);
    // An older or equal view is never written over a newer one; a view ahead of the object is refused.
    expect((await signed('POST', '/internal/projections/views', { generation: 'g2', views: [v1] })).json).toEqual({ written: 0, stale: 1, deferred: 0, failed: 0, outcomes: [{ sku, result: 'stale' }] });
    const ahead = (await signed('POST', '/internal/projections/views', { generation: 'g2', views: [{ ...v1, version: 99 }] })).json;
    expect(ahead).toMatchObject({ failed: 1, outcomes: [{ sku, result: 'failed', code: 'invalid_command' }] });

    // A switch names its shadow: another generation is refused, its own is switched to.
    const wrong = await signed('POST', '/internal/projections/switch', { graceSeconds: 30, generation: 'g7' });
    expect(wrong.status).toBe(400);
    expect(wrong.json.error.message).toContain('g7 is not the shadow generation');
    const switched = await signed('POST', '/internal/projections/switch', { graceSeconds: 30, generation: 'g2' });
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

    await signed('POST', '/internal/projections/shadow', { rebuild: 'r2' });
    const switched = await signed('POST', '/internal/projections/switch', { graceSeconds: 0 });
    expect(switched.json.active).not.toBe(old);
    while ((await env.PROJECTIONS.get(viewKey(old, sku))) && Date.now() < deadline + 5_000) await sleep(100);
    expect(await env.PROJECTIONS.get(viewKey(old, sku))).toBeNull();
  });

  it('unsigned calls are refused', async () => {
    expect((await call('POST', '/internal/projections/shadow', { key: null, body: {} })).status).toBe(401);
  });
});

const registry = () => env.GENERATIONS.getByName('registry');

/** The views an object holds now, as a rebuild would send them (its own counters). */
async function viewOf(sku: string) {
  const { source: _source, ...view } = (await call('GET', `/v1/skus/${sku}?consistent=true`)).json;
  return view;
}

describe('rebuild batches answer per SKU; shadows are owned, abandoned, superseded, leased', () => {
  it('one SKU failing fails only itself: the others are written, each failure named with its code', async () => {
    const [good, ahead, unknown] = [uniqueSku('good'), uniqueSku('ahead'), uniqueSku('nobody')];
    await createSku(good, 5);
    await createSku(ahead, 5);
    const { shadow } = (await signed('POST', '/internal/projections/shadow', { rebuild: 'batch' })).json;
    const views = [await viewOf(good), { ...(await viewOf(ahead)), version: 50 }, { ...(await viewOf(good)), sku: unknown }];
    let result: any;
    try {
      // Stale until the object's own view is written (its alarm, at most a second, later on a loaded machine).
      for (let attempt = 0; attempt < 60; attempt++) {
        result = await signed('POST', '/internal/projections/views', { generation: shadow, views });
        expect(result.status).toBe(200);
        if (result.json.outcomes[0].result === 'written') break;
        await sleep(300);
      }
      expect(result.json).toMatchObject({ written: 1, failed: 2 });
      expect(result.json.outcomes).toEqual([
        { sku: good, result: 'written' },
        { sku: ahead, result: 'failed', code: 'invalid_command', message: expect.stringContaining('ahead of the object') },
        { sku: unknown, result: 'failed', code: 'sku_not_found', message: 'no such SKU' },
      ]);
      expect(await env.PROJECTIONS.get<StoredView>(viewKey(shadow, good), 'json')).toMatchObject({ version: 1 });
    } finally {
      // Abandoned whatever happened: a shadow left behind would hold the next tests' rebuilds.
      await signed('POST', '/internal/projections/shadow/abandon', { generation: shadow });
    }
  });

  it('a new rebuild retires a shadow another rebuild left behind once its lease ran out; the old one can then neither renew, write nor switch', async () => {
    const sku = uniqueSku('super');
    await createSku(sku, 3);
    const lingering = (await signed('POST', '/internal/projections/shadow', { rebuild: 'crashed' })).json;
    // While its lease is live, the other rebuild is refused (test/workers/generationsRebuilds.spec.ts).
    expect((await signed('POST', '/internal/projections/shadow', { rebuild: 'next' })).status).toBe(409);
    await runInDurableObject(registry() as unknown as DurableObjectStub, (_: unknown, state) => {
      state.storage.sql.exec('UPDATE shadow_leases SET lease_until = ? WHERE generation = ?', Date.now() - 1, lingering.shadow);
    });
    const fresh = (await signed('POST', '/internal/projections/shadow', { rebuild: 'next' })).json;
    expect(fresh.superseded).toBe(lingering.shadow);
    expect(fresh.shadow).not.toBe(lingering.shadow);
    // The superseded generation is not live any more (not the shadow, not retiring).
    expect(await registry().current()).toEqual({ active: fresh.active, shadow: fresh.shadow, retiring: fresh.retiring });

    const renew = await signed('POST', '/internal/projections/shadow/renew', { generation: lingering.shadow });
    expect(renew.status).toBe(400);
    expect(renew.json.error.message).toContain(`${lingering.shadow} is not the shadow generation`);
    expect((await signed('POST', '/internal/projections/views', { generation: lingering.shadow, views: [await viewOf(sku)] })).status).toBe(400);
    expect((await signed('POST', '/internal/projections/switch', { generation: lingering.shadow })).status).toBe(400);
    expect((await signed('POST', '/internal/projections/shadow/abandon', { generation: lingering.shadow })).json.abandoned).toBe(false);
    expect((await signed('POST', '/internal/projections/shadow/renew', { generation: fresh.shadow })).status).toBe(200);

    const abandoned = await signed('POST', '/internal/projections/shadow/abandon', { generation: fresh.shadow });
    expect(abandoned.json).toMatchObject({ shadow: null, abandoned: true });
    // Repeating it changes nothing; the active generation is never abandoned.
    expect((await signed('POST', '/internal/projections/shadow/abandon', { generation: fresh.shadow })).json.abandoned).toBe(false);
    expect((await signed('POST', '/internal/projections/shadow/abandon', { generation: fresh.active })).json).toMatchObject({ abandoned: false, active: fresh.active });
  });

  it('an abandoned shadow stops being written and its keys are deleted', async () => {
    const { shadow, active } = (await signed('POST', '/internal/projections/shadow', { rebuild: 'fails' })).json;
    // Once every isolate knows of the shadow, a new SKU's object writes its view to both generations.
    await sleep(1_100);
    const sku = uniqueSku('twice');
    await createSku(sku, 4);
    const deadline = Date.now() + 5_000;
    while (!(await env.PROJECTIONS.get(viewKey(shadow, sku))) && Date.now() < deadline) await sleep(50);
    expect(await env.PROJECTIONS.get(viewKey(shadow, sku))).not.toBeNull();

    await signed('POST', '/internal/projections/shadow/abandon', { generation: shadow });
    // Deleted once no object still trusts a copy of the registry that lists it (2 s), by the alarm.
    while ((await env.PROJECTIONS.get(viewKey(shadow, sku))) && Date.now() < deadline + 8_000) await sleep(100);
    expect(await env.PROJECTIONS.get(viewKey(shadow, sku))).toBeNull();
    // A later commit writes the active generation only.
    await reserve(sku, { customerId: 'c', qty: 1 }, 'after-abandon');
    while ((await env.PROJECTIONS.get<StoredView>(viewKey(active, sku), 'json'))?.version !== 2 && Date.now() < deadline + 12_000) await sleep(50);
    expect((await env.PROJECTIONS.get<StoredView>(viewKey(active, sku), 'json'))?.version).toBe(2);
    await sleep(200);
    expect(await env.PROJECTIONS.get(viewKey(shadow, sku))).toBeNull();
  });

  it('a shadow whose rebuild stopped renewing it is retired by the alarm when its lease runs out', async () => {
    const { shadow } = (await signed('POST', '/internal/projections/shadow', { rebuild: 'dies', leaseSeconds: 10 })).json;
    expect((await registry().current()).shadow).toBe(shadow);
    // The bridge died; workerd's clock cannot be moved, so the lease's end is written back instead.
    await runInDurableObject(registry() as unknown as DurableObjectStub, async (_: unknown, state) => {
      state.storage.sql.exec('UPDATE shadow_leases SET lease_until = ? WHERE generation = ?', Date.now() - 1, shadow);
      await state.storage.setAlarm(Date.now() + 60_000);
    });
    expect(await runDurableObjectAlarm(registry() as unknown as DurableObjectStub)).toBe(true);
    expect((await registry().current()).shadow).toBeNull();
    expect((await signed('POST', '/internal/projections/shadow/renew', { generation: shadow })).status).toBe(400);
  });
});
