import { env } from 'cloudflare:workers';
import { evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { loadState, saveSnapshot } from '../../durable-objects/sku/eventLog';
import { initialSkuState, type Reservation } from '../../src/domain/sku';
import { createSku, reserve, uniqueSku } from '../support/api';

const untyped = (sku: string) => env.SKU.getByName(sku) as unknown as DurableObjectStub;
const idem = (key: string) => ({ scope: `test\n${key}`, requestHash: key });

describe('SKU Durable Object storage', () => {
  it('snapshots every 100 events and comes back from eviction with the same state', async () => {
    const sku = uniqueSku('snap');
    await createSku(sku, 1_000);
    for (let i = 0; i < 249; i++) await reserve(sku, { customerId: `c${i}`, qty: 1 }, `k${i}`);
    const stub = env.SKU.getByName(sku);
    const before = await stub.counters(sku);
    const snapshots = await runInDurableObject(untyped(sku), (_, state) =>
      state.storage.sql.exec<{ version: number }>('SELECT DISTINCT version FROM snapshots ORDER BY version').toArray(),
    );
    expect(snapshots.map((s) => s.version)).toEqual([100, 200]);

    await evictDurableObject(untyped(sku));
    expect(await env.SKU.getByName(sku).counters(sku)).toEqual(before);
    expect(before).toMatchObject({ ok: true, value: { version: 250, reserved: 249 } });
  });

  it('splits a large snapshot into chunks and reads it back whole', async () => {
    const sku = uniqueSku('chunk');
    await runInDurableObject(untyped(sku), (_, state) => {
      const reservations = new Map<string, Reservation>();
      for (let i = 0; i < 6_000; i++) {
        const id = `res_${String(i).padStart(26, '0')}`;
        reservations.set(id, {
          reservationId: id, customerId: `customer-${i}-${'x'.repeat(40)}`, qty: 1, expiresAt: new Date(0).toISOString(),
          status: 'released', allocation: 'pending', allocationId: null, releaseReason: 'expired', refundDue: false,
          reservedAtVersion: i + 2, version: i + 3,
        });
      }
      const big = { ...initialSkuState(), sku, version: 6_002, onHand: 5, reservations };
      saveSnapshot(state.storage.sql, big);
      const chunks = state.storage.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM snapshots WHERE version = 6002').one().n;
      expect(chunks).toBeGreaterThan(1);
      expect(loadState(state.storage.sql, sku)).toEqual(big);
    });
  });

  it('refuses to update or delete an event, even from inside the object', async () => {
    const sku = uniqueSku('audit');
    await createSku(sku, 1);
    await runInDurableObject(untyped(sku), (_, state) => {
      expect(() => state.storage.sql.exec('UPDATE events SET data = ? WHERE version = 1', '{}')).toThrow(/append-only/);
      expect(() => state.storage.sql.exec('DELETE FROM events')).toThrow(/append-only/);
      expect(state.storage.sql.exec('SELECT COUNT(*) AS n FROM events').one().n).toBe(1);
    });
  });

  it('writes one outbox row per committed event, in the same transaction', async () => {
    const sku = uniqueSku('outbox');
    await createSku(sku, 1);
    await reserve(sku, { customerId: 'c', qty: 1 }, 'k');
    await reserve(sku, { customerId: 'd', qty: 1 }, 'k2'); // refused: no event, no outbox row
    const rows = await runInDurableObject(untyped(sku), (_, state) =>
      state.storage.sql.exec<{ version: number }>('SELECT version FROM outbox ORDER BY version').toArray(),
    );
    expect(rows.map((r) => r.version)).toEqual([1, 2]);
  });
});

/** A SKU with 5 units and one reservation of 2, driven through the object's RPC methods. */
async function heldReservation() {
  const sku = uniqueSku('alloc');
  const stub = env.SKU.getByName(sku);
  await stub.setStock({ sku, onHand: 5 });
  const held = await stub.reserve({ sku, customerId: 'c', qty: 2, ttlSeconds: 60 }, idem(sku));
  if (!held.ok) throw new Error(`reserve failed: ${JSON.stringify(held.error)}`);
  return { sku, stub, reservationId: held.value.reservationId };
}

describe('allocation RPCs used by the WMS saga', () => {
  it('confirms once, names the reservation as its cause, and refuses a second allocation', async () => {
    const { sku, stub, reservationId } = await heldReservation();

    const confirmed = await stub.confirmAllocation({ sku, reservationId, allocationId: 'WMS-1', causedBy: { 'saga:x': 4 } });
    expect(confirmed).toMatchObject({ ok: true, value: { allocation: 'allocated', status: 'held', version: 3 } });
    expect(await stub.confirmAllocation({ sku, reservationId, allocationId: 'WMS-1' })).toMatchObject({ ok: true });
    expect(await stub.confirmAllocation({ sku, reservationId, allocationId: 'WMS-2' })).toEqual({
      ok: false, error: { code: 'allocation_conflict', allocationId: 'WMS-1' },
    });
    const page = await stub.events(sku, 2, 10);
    if (!page.ok) throw new Error('events failed');
    expect(page.value.events).toHaveLength(1);
    expect(page.value.events[0]).toMatchObject({ type: 'AllocationConfirmed', causedBy: { 'saga:x': 4, [`sku:${sku}`]: 2 } });
  });

  it('compensates a failed allocation, and reports a late success as released', async () => {
    const { sku, stub, reservationId } = await heldReservation();
    const failed = await stub.failAllocation({ sku, reservationId, reason: 'wms_timeout' });
    expect(failed).toMatchObject({ ok: true, value: { status: 'released', allocation: 'failed', releaseReason: 'wms_timeout' } });
    expect(await stub.confirmAllocation({ sku, reservationId, allocationId: 'WMS-late' })).toEqual({
      ok: false, error: { code: 'reservation_released', reason: 'wms_timeout' },
    });
    expect(await stub.counters(sku)).toMatchObject({ ok: true, value: { available: 5, reserved: 0 } });
  });
});
