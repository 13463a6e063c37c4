import { env } from 'cloudflare:workers';
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { call, createSku, eventsOf, reserve, uniqueSku } from '../support/api';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// The untyped stub keeps the test helpers' generics shallow; the RPC surface is not used here.
const stubOf = (sku: string) => env.SKU.getByName(sku) as unknown as DurableObjectStub;

/** The runtime fires alarms in real time; wait for it to have released the SKU's held units. */
async function untilNothingHeld(sku: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = (await call('GET', `/v1/skus/${sku}?consistent=true`)).json;
    if (view.reserved === 0) return view;
    if (Date.now() > deadline) throw new Error(`still held: ${JSON.stringify(view)}`);
    await sleep(100);
  }
}

/**
 * Stands in for an alarm delayed by the runtime: the due time passes with no alarm run. It waits
 * first for the read-model write that follows every commit, so that no alarm run is in flight.
 */
async function holdBackAlarm(sku: string, expiresAt: string) {
  const alarmAt = () => runInDurableObject(stubOf(sku), (_: unknown, state) => state.storage.getAlarm());
  const deadline = Date.now() + 800;
  while ((await alarmAt()) !== Date.parse(expiresAt) && Date.now() < deadline) await sleep(20);
  await runInDurableObject(stubOf(sku), (_: unknown, state) => state.storage.deleteAlarm());
}

const runAlarmNow = (sku: string) => runInDurableObject(stubOf(sku), async (instance) => {
    await instance.alarm!();
  });

describe('reservation TTL enforced by the alarm', () => {
  it('arms the alarm for the expiry, releases through it, and a second run changes nothing', async () => {
    const sku = uniqueSku('ttl');
    await createSku(sku, 5);
    const held = await reserve(sku, { customerId: 'c', qty: 3, ttlSeconds: 1 }, 'k');
    expect(held.status).toBe(201);
    expect((await call('GET', `/v1/skus/${sku}?consistent=true`)).json.available).toBe(2);
    // The read-model write runs first (its alarm is due at once); then the alarm waits for the expiry.
    const alarmAt = () => runInDurableObject(stubOf(sku), (_: unknown, state) => state.storage.getAlarm());
    const deadline = Date.now() + 900;
    while ((await alarmAt()) !== Date.parse(held.json.expiresAt) && Date.now() < deadline) await sleep(20);
    expect(await alarmAt()).toBe(Date.parse(held.json.expiresAt));

    const view = await untilNothingHeld(sku);
    expect(view).toMatchObject({ available: 5, reserved: 0, version: 3 });
    const detail = await call('GET', `/v1/skus/${sku}/reservations/${held.json.reservationId}?customerId=c`);
    expect(detail.json).toMatchObject({ status: 'released', releaseReason: 'expired', allocation: 'pending' });
    expect(detail.json.history.map((e: any) => e.type)).toEqual(['StockReserved', 'StockReleased']);
    expect(detail.json.history[1]).toEqual({ type: 'StockReleased', at: expect.any(String), qty: 3, reason: 'expired', refundDue: false });
    const released = (await eventsOf(sku)).find((e) => e.type === 'StockReleased');
    expect(released.data).toEqual({ reservationId: held.json.reservationId, qty: 3, reason: 'expired', refundDue: false });
    expect(released.causedBy).toEqual({ [`sku:${sku}`]: 2 });

    // Alarms are at-least-once: running it again, scheduled or not, changes nothing.
    const log = await eventsOf(sku);
    await runDurableObjectAlarm(stubOf(sku));
    await runAlarmNow(sku);
    expect(await eventsOf(sku)).toEqual(log);
  });

  it('never expires a completed purchase', async () => {
    const sku = uniqueSku('ttl');
    await createSku(sku, 5);
    const held = await reserve(sku, { customerId: 'c', qty: 2, ttlSeconds: 1 }, 'k');
    const done = await call('POST', `/v1/skus/${sku}/reservations/${held.json.reservationId}/complete`, { body: { customerId: 'c' } });
    expect(done.status).toBe(200);
    await sleep(1_200);
    await runAlarmNow(sku);
    expect((await call('GET', `/v1/skus/${sku}?consistent=true`)).json).toMatchObject({ sold: 2, reserved: 0, available: 3 });
    expect((await eventsOf(sku)).map((e) => e.type)).toEqual(['StockSet', 'StockReserved', 'ReservationCompleted']);
  });

  it('an early alarm changes nothing and re-arms for the next expiry', async () => {
    const sku = uniqueSku('ttl');
    await createSku(sku, 5);
    const held = await reserve(sku, { customerId: 'c', qty: 1, ttlSeconds: 60 }, 'k');
    await runInDurableObject(stubOf(sku), async (instance, state) => {
      await instance.alarm!();
      // A read-model write may still be due first (one KV write per second); never later than the expiry.
      expect(await state.storage.getAlarm()).toBeLessThanOrEqual(Date.parse(held.json.expiresAt));
    });
    await sleep(1_100);
    await runInDurableObject(stubOf(sku), async (instance, state) => {
      await instance.alarm!();
      expect(await state.storage.getAlarm()).toBe(Date.parse(held.json.expiresAt));
    });
    expect((await eventsOf(sku)).map((e) => e.type)).toEqual(['StockSet', 'StockReserved']);
  });

  it('a late alarm releases everything that fell due in one run, then re-arms', async () => {
    const sku = uniqueSku('ttl');
    await createSku(sku, 10);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await reserve(sku, { customerId: `c${i}`, qty: 2, ttlSeconds: 1 }, `k${i}`)).json.reservationId);
    const survivor = await reserve(sku, { customerId: 'late', qty: 1, ttlSeconds: 600 }, 'k-late');
    const first = (await eventsOf(sku)).find((e) => e.type === 'StockReserved')!;
    await holdBackAlarm(sku, first.data.expiresAt);
    await sleep(1_100);
    // Expiry is an event appended by the alarm, never a filter at read time.
    expect((await call('GET', `/v1/skus/${sku}?consistent=true`)).json).toMatchObject({ reserved: 9 });

    await runAlarmNow(sku);
    const released = (await eventsOf(sku)).filter((e) => e.type === 'StockReleased');
    expect(released.map((e) => e.data.reservationId).sort()).toEqual([...ids].sort());
    expect((await call('GET', `/v1/skus/${sku}?consistent=true`)).json).toMatchObject({ reserved: 1, available: 9 });
    const alarmAt = await runInDurableObject(stubOf(sku), (_: unknown, state) => state.storage.getAlarm());
    expect(alarmAt).toBe(Date.parse(survivor.json.expiresAt));
    // The run's expiries share one transaction: their outbox rows and the counters row are written once, for all of them.
    const stored = await runInDurableObject(stubOf(sku), (_: unknown, state) => ({
      outbox: state.storage.sql.exec<{ version: number }>('SELECT version FROM outbox').toArray().map((r) => r.version),
      counters: JSON.parse(state.storage.sql.exec<{ data: string }>('SELECT data FROM sku_state WHERE id = 1').one().data) as { version: number },
    }));
    const versions = released.map((e) => e.version);
    expect(versions).toEqual(Array.from({ length: 4 }, (_, i) => versions[0]! + i));
    expect(stored.outbox).toEqual(expect.arrayContaining(versions));
    expect(stored.counters.version).toBe(versions.at(-1));
  });

  it('completing after the TTL but before the alarm ran is refused', async () => {
    const sku = uniqueSku('ttl');
    await createSku(sku, 5);
    const held = await reserve(sku, { customerId: 'c', qty: 1, ttlSeconds: 1 }, 'k');
    await holdBackAlarm(sku, held.json.expiresAt);
    await sleep(1_100);
    const late = await call('POST', `/v1/skus/${sku}/reservations/${held.json.reservationId}/complete`, { body: { customerId: 'c' } });
    expect(late.status).toBe(409);
    expect(late.json.error.code).toBe('reservation_expired');
  });
});
