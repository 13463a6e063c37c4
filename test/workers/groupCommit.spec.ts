import { env } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { BatchAnswer, ReserveCall } from '../../durable-objects/Sku';
import { ADMIN, call, createSku, eventsOf, reserve, uniqueSku } from '../support/api';
import { homeShard, streamOf } from '../../src/domain/sku';
import { edgeWith } from './edgeWith';
import { normalised } from '../support/normalised';

const reserveCall = (sku: string, customerId: string, qty: number, key: string, hash = `${customerId}/${qty}`): ReserveCall => ({
  req: { sku, customerId, qty, ttlSeconds: 600 },
  idempotency: { scope: `${sku}\n${key}`, requestHash: hash },
});

const grouped = edgeWith({});
/** How many groups this object's instance decided, and the reserves in them (`Sku.commandGroups`). */
const groupsOf = (sku: string) =>
  runInDurableObject(env.SKU.getByName(sku) as unknown as DurableObjectStub, (instance) => (instance as unknown as { commandGroups: { groups: number; commands: number } | null }).commandGroups);

describe('group commit of reserves', () => {
  it('decides a batch in order, each reserve answered as if alone: reserved, refusals, replay, key reuse', async () => {
    const [batched, alone] = [uniqueSku('batch'), uniqueSku('alone')];
    for (const sku of [batched, alone]) await createSku(sku, 4, 2);
    const calls = (sku: string) => [
      reserveCall(sku, 'ann', 2, 'a1'),
      reserveCall(sku, 'ann', 1, 'a2'), // over ann's limit of 2
      reserveCall(sku, 'bob', 3, 'b1'), // over bob's limit too
      reserveCall(sku, 'bob', 2, 'b2'),
      reserveCall(sku, 'cat', 1, 'c1'), // nothing left
      reserveCall(sku, 'ann', 2, 'a1'), // the first, again: its stored answer
      reserveCall(sku, 'ann', 1, 'a1', 'another body'),
    ];
    const answers = await env.SKU.getByName(batched).reserveBatch(calls(batched));
    const single: BatchAnswer[] = [];
    for (const c of calls(alone)) single.push({ outcome: await env.SKU.getByName(alone).reserve(c.req, c.idempotency) });

    expect(answers.map((a) => ('outcome' in a ? (a.outcome.ok ? 'reserved' : a.outcome.error.code) : 'thrown' in a ? a.thrown : 'walk again'))).toEqual([
      'reserved', 'customer_limit', 'customer_limit', 'reserved', 'insufficient_stock', 'reserved', 'idempotency_key_reused',
    ]);
    expect(answers[5]).toEqual({ outcome: { ...(answers[0] as { outcome: object }).outcome, replayed: true } });
    expect(normalised(answers, batched)).toEqual(normalised(single, alone));
    expect(normalised(await eventsOf(batched), batched)).toEqual(normalised(await eventsOf(alone), alone));
    const counters = async (sku: string) => ({ ...(await call('GET', `/v1/skus/${sku}?consistent=true`)).json, sku: '', asOf: '' });
    expect(await counters(batched)).toEqual(await counters(alone));
  });

  it('enqueues every event of a batch in the outbox, in order, in one statement', async () => {
    const sku = uniqueSku('rows');
    await createSku(sku, 100);
    const calls = Array.from({ length: 20 }, (_, i) => reserveCall(sku, `buyer-${i}`, 1, `k-${i}`));
    const answers = await env.SKU.getByName(sku).reserveBatch(calls);
    expect(answers.every((a) => 'outcome' in a && a.outcome.ok)).toBe(true);
    const outbox = await runInDurableObject(env.SKU.getByName(sku) as unknown as DurableObjectStub, (_, state) =>
      state.storage.sql.exec<{ version: number }>('SELECT version FROM outbox ORDER BY version').toArray().map((r) => r.version),
    );
    expect(outbox).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
  });

  it('200 concurrent buyers through the route against 100 units: grouped in the object, exactly 100 reserved, nothing oversold', async () => {
    const sku = uniqueSku('flood');
    await createSku(sku, 100, 1);
    const edge = grouped;
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        edge('POST', `/v1/skus/${sku}/reservations`, { body: { customerId: `buyer-${i % 150}`, qty: 1 }, headers: { 'idempotency-key': `key-${i}` } }),
      ),
    );
    // The object decided them in fewer transactions than reserves: grouped (RESERVE_GROUP_MAX defaults to 64).
    const seen = (await groupsOf(sku))!;
    expect(seen.commands).toBe(200);
    expect(seen.groups).toBeLessThan(seen.commands);
    expect(seen.groups).toBeGreaterThanOrEqual(Math.ceil(200 / 64));

    const created = responses.filter((r) => r.status === 201);
    expect(created).toHaveLength(100);
    expect(new Set(created.map((r) => r.json.reservationId)).size).toBe(100);
    for (const r of responses.filter((x) => x.status !== 201)) {
      expect(r.status).toBe(409);
      // Buyers 150..199 are buyers 0..49 again: a second unit is over the limit of 1 when the first was reserved.
      expect(['insufficient_stock', 'customer_limit']).toContain(r.json.error.code);
      if (r.json.error.code === 'insufficient_stock') {
        expect(r.json).toEqual({ error: { code: 'insufficient_stock', message: 'only 0 unit(s) available', details: { available: 0 } } });
      }
    }
    const events = await eventsOf(sku);
    expect(events.map((e) => e.version)).toEqual(Array.from({ length: 101 }, (_, i) => i + 1));
    expect((await call('GET', `/v1/skus/${sku}?consistent=true`)).json).toMatchObject({ onHand: 100, reserved: 100, available: 0, version: 101 });
  });

  it('a key sent twice at once is reserved once and both answers are the same body, one replayed', async () => {
    const sku = uniqueSku('twice');
    await createSku(sku, 10);
    const body = { customerId: 'dan', qty: 2 };
    const send = () => grouped('POST', `/v1/skus/${sku}/reservations`, { body, headers: { 'idempotency-key': 'same' } });
    const [first, second, third] = await Promise.all([send(), send(), send()]);
    for (const r of [first, second, third]) expect(r.status).toBe(201);
    expect(second.text).toBe(first.text);
    expect(third.text).toBe(first.text);
    expect([first, second, third].map((r) => r.headers.get('Idempotent-Replayed')).sort()).toEqual([null, 'true', 'true']);
    expect((await eventsOf(sku)).filter((e) => e.type === 'StockReserved')).toHaveLength(1);
  });

  it('buyers who waited on one walk to a sibling are decided together, in one group (batched settle)', async () => {
    const sku = uniqueSku('walked');
    expect((await call('PUT', `/v1/admin/skus/${sku}/stock`, { key: ADMIN, body: { onHand: 20, shards: 2 } })).status).toBe(200);
    const onShard0 = Array.from({ length: 200 }, (_, i) => `c-${i}`).filter((c) => homeShard(c, 2) === 0).slice(0, 20);
    // Shard 0's own 10 units sold one by one: from here on each of its buyers must borrow.
    for (const [i, customerId] of onShard0.slice(0, 10).entries()) expect((await reserve(sku, { customerId, qty: 1 }, `own-${i}`)).status).toBe(201);
    const before = (await groupsOf(streamOf(sku, 0)))!;
    const answers = await Promise.all(onShard0.slice(10).map((customerId, i) => reserve(sku, { customerId, qty: 1 }, `walked-${i}`)));
    expect(answers.map((r) => r.status)).toEqual(Array(10).fill(201));
    const after = (await groupsOf(streamOf(sku, 0)))!;
    // Every walked buyer went through a group (one sent back to walk again, as units it brought were
    // taken, goes through once more), and the groups were fewer than the calls in them.
    const commands = after.commands - before.commands;
    expect(commands).toBeGreaterThanOrEqual(10);
    expect(after.groups - before.groups).toBeLessThan(commands);
    expect((await call('GET', `/v1/skus/${sku}?consistent=true`)).json).toMatchObject({ onHand: 20, reserved: 20, available: 0 });
  });
});
