import { env } from 'cloudflare:workers';
import { evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { foldLedger } from '../../src/domain/sku';
import { createSku, reserve, uniqueSku } from '../support/api';

const untyped = (sku: string) => env.SKU.getByName(sku) as unknown as DurableObjectStub;
const idem = (key: string) => ({ scope: `test\n${key}`, requestHash: key });

describe('SKU Durable Object storage', () => {
  it('keeps one row per reservation in step with its log, and comes back from eviction with the same state', async () => {
    const sku = uniqueSku('rows');
    await createSku(sku, 1_000, 3);
    const stub = env.SKU.getByName(sku);
    const ids: string[] = [];
    const owners = new Map<string, string>();
    for (let i = 0; i < 60; i++) {
      const held = await stub.reserve({ sku, customerId: `c${i % 7}`, qty: 1 + (i % 2), ttlSeconds: 300 }, idem(`${sku}-${i}`));
      if (!held.ok) continue;
      ids.push(held.value.reservationId);
      owners.set(held.value.reservationId, `c${i % 7}`);
    }
    expect(ids.length).toBeGreaterThan(10);
    for (const [i, reservationId] of ids.entries()) {
      const ref = { sku, reservationId, customerId: owners.get(reservationId)! };
      if (i % 3 === 0) expect(await stub.complete(ref)).toMatchObject({ ok: true, value: { status: 'completed' } });
      if (i % 3 === 1) expect(await stub.cancel(ref)).toMatchObject({ ok: true, value: { status: 'released' } });
    }
    const before = await stub.counters(sku);
    const page = await stub.events(sku, 0, 10_000);
    if (!page.ok) throw new Error('events failed');
    const ledger = foldLedger(page.value.events);
    const { rows, state } = await runInDurableObject(untyped(sku), (_, ctx) => ({
      rows: ctx.storage.sql.exec<{ reservation_id: string }>('SELECT reservation_id FROM reservations').toArray().map((r) => r.reservation_id),
      state: JSON.parse(ctx.storage.sql.exec<{ data: string }>('SELECT data FROM sku_state').one().data),
    }));
    expect(new Set(rows)).toEqual(new Set(ledger.reservations.keys()));
    expect(state).toEqual(ledger.state);
    for (const reservationId of ids.slice(0, 10)) {
      const expected = ledger.reservations.get(reservationId)!;
      const seen = await stub.reservation({ sku, reservationId, customerId: expected.customerId });
      expect(seen).toMatchObject({ ok: true, value: { status: expected.status, qty: expected.qty, version: expected.version } });
    }

    await evictDurableObject(untyped(sku));
    expect(await env.SKU.getByName(sku).counters(sku)).toEqual(before);
    // The customer limit (3) still counts each customer's active units across the eviction.
    expect(await env.SKU.getByName(sku).reserve({ sku, customerId: [...owners.values()][0]!, qty: 3, ttlSeconds: 60 }, idem(`${sku}-limit`))).toMatchObject({
      ok: false, error: { code: 'customer_limit', limitPerCustomer: 3 },
    });
  });

  it('finds every row it needs by index, never by scanning the table', async () => {
    const sku = uniqueSku('plan');
    await createSku(sku, 10);
    const plans = await runInDurableObject(untyped(sku), (_, ctx) =>
      [
        "SELECT * FROM reservations WHERE reservation_id = 'x'",
        "SELECT coalesce(sum(qty), 0) FROM reservations WHERE customer_id = 'c' AND status <> 'released'",
        "SELECT reservation_id FROM reservations WHERE status = 'held' AND expires_at <= 5 ORDER BY expires_at LIMIT 10",
        "SELECT min(expires_at) FROM reservations WHERE status = 'held'",
      ].map((query) => ctx.storage.sql.exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${query}`).toArray().map((r) => r.detail).join('; ')),
    );
    for (const plan of plans) expect(plan).not.toMatch(/SCAN reservations/);
    expect(plans[1]).toContain('reservations_active_by_customer');
    expect(plans[2]).toContain('reservations_held_by_expiry');
    expect(plans[3]).toContain('reservations_held_by_expiry');
  });

  it('builds its rows once from the log of an object written before rows existed, reading old events in today\'s shape', async () => {
    const sku = uniqueSku('legacy');
    const at = new Date().toISOString();
    const later = new Date(Date.now() + 600_000).toISOString();
    const legacy = [
      { type: 'StockSet', data: { onHand: 10, limitPerCustomer: null }, causedBy: {} },
      { type: 'StockReserved', data: { reservationId: 'res_a', customerId: 'c', qty: 2, expiresAt: later }, causedBy: {} },
      { type: 'StockReserved', data: { reservationId: 'res_b', customerId: 'c', qty: 3, expiresAt: later }, causedBy: {} },
      { type: 'ReservationCompleted', data: { reservationId: 'res_a' }, causedBy: { [`sku:${sku}`]: 2 } },
      { type: 'StockReleased', data: { reservationId: 'res_a', qty: 2, reason: 'admin' }, causedBy: { [`sku:${sku}`]: 2 } },
      { type: 'StockReleased', data: { reservationId: 'res_b', qty: 3, reason: 'cancelled' }, causedBy: { [`sku:${sku}`]: 3 } },
    ];
    await runInDurableObject(untyped(sku), (_, ctx) => {
      const sql = ctx.storage.sql;
      sql.exec("INSERT INTO meta (key, value) VALUES ('sku', ?)", sku);
      legacy.forEach((e, i) => {
        const id = 'reservationId' in e.data ? e.data.reservationId : null;
        sql.exec('INSERT INTO events (version, type, at, caused_by, data, reservation_id) VALUES (?, ?, ?, ?, ?, ?)', i + 1, e.type, at, JSON.stringify(e.causedBy), JSON.stringify(e.data), id);
      });
    });
    await evictDurableObject(untyped(sku));
    const stub = env.SKU.getByName(sku);
    expect(await stub.counters(sku)).toMatchObject({ ok: true, value: { version: 6, onHand: 10, reserved: 0, sold: 0, available: 10 } });
    expect(await stub.reservation({ sku, reservationId: 'res_a', customerId: 'c' })).toMatchObject({
      ok: true, value: { status: 'released', refundDue: true, releaseReason: 'admin' },
    });
    const page = await stub.events(sku, 3, 10);
    if (!page.ok) throw new Error('events failed');
    expect(page.value.events.map((e) => e.data)).toEqual([
      { reservationId: 'res_a', qty: 2 },
      { reservationId: 'res_a', qty: 2, reason: 'admin', refundDue: true },
      { reservationId: 'res_b', qty: 3, reason: 'cancelled', refundDue: false },
    ]);
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
