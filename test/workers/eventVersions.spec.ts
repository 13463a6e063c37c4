import { env } from 'cloudflare:workers';
import { evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createSku, uniqueSku } from '../support/api';

const untyped = (sku: string) => env.SKU.getByName(sku) as unknown as DurableObjectStub;
const idem = (key: string) => ({ scope: `test\n${key}`, requestHash: key });

describe('versioned events in the SKU object (ADR 0012)', () => {
  it('writes each event with its type\'s current schema version, and relays it stamped; the API serves today\'s shape', async () => {
    const sku = uniqueSku('stamped');
    await createSku(sku, 5);
    const stub = env.SKU.getByName(sku);
    const bought = await stub.reserve({ sku, customerId: 'c', qty: 2, ttlSeconds: 60 }, idem(`${sku}-1`));
    const held = await stub.reserve({ sku, customerId: 'd', qty: 1, ttlSeconds: 60 }, idem(`${sku}-2`));
    if (!bought.ok || !held.ok) throw new Error('reserve failed');
    await stub.complete({ sku, reservationId: bought.value.reservationId, customerId: 'c' });
    await stub.cancel({ sku, reservationId: held.value.reservationId, customerId: 'd' });
    const { stored, outbox } = await runInDurableObject(untyped(sku), async (_, ctx) => {
      const { readOutbox } = await import('../../durable-objects/sku/eventLog');
      return {
        stored: ctx.storage.sql.exec<{ type: string; schema_version: number }>('SELECT type, schema_version FROM events ORDER BY version').toArray(),
        outbox: readOutbox(ctx.storage.sql, sku, 10).map((e) => [e.type, e.schemaVersion]),
      };
    });
    const expected = [['StockSet', 1], ['StockReserved', 1], ['StockReserved', 1], ['ReservationCompleted', 2], ['StockReleased', 2]];
    expect(stored.map((r) => [r.type, r.schema_version])).toEqual(expected);
    expect(outbox).toEqual(expected);
    const page = await stub.events(sku, 0, 10);
    if (!page.ok) throw new Error('events failed');
    expect(page.value.events.every((e) => !('schemaVersion' in e))).toBe(true);
  });

  it('reads a log that mixes unstamped v1 events, unstamped v2 and stamped v2 in today\'s shape', async () => {
    const sku = uniqueSku('mixed');
    const at = new Date().toISOString();
    const later = new Date(Date.now() + 600_000).toISOString();
    const cause = { [`sku:${sku}`]: 2 };
    const log: [string, unknown, Record<string, number>, number | null][] = [
      ['StockSet', { onHand: 10, limitPerCustomer: null }, {}, null],
      ['StockReserved', { reservationId: 'res_m', customerId: 'c', qty: 4, expiresAt: later }, {}, null],
      ['ReservationCompleted', { reservationId: 'res_m' }, cause, null],
      ['StockReleased', { reservationId: 'res_m', qty: 4, reason: 'admin', refundDue: true }, cause, 2],
      ['StockReceived', { qty: 3 }, {}, 1],
    ];
    await runInDurableObject(untyped(sku), (_, ctx) => {
      const sql = ctx.storage.sql;
      sql.exec("INSERT INTO meta (key, value) VALUES ('sku', ?)", sku);
      log.forEach(([type, data, causedBy, schemaVersion], i) => {
        const id = (data as { reservationId?: string }).reservationId ?? null;
        sql.exec(
          'INSERT INTO events (version, type, at, caused_by, data, reservation_id, schema_version) VALUES (?, ?, ?, ?, ?, ?, ?)',
          i + 1, type, at, JSON.stringify(causedBy), JSON.stringify(data), id, schemaVersion,
        );
      });
    });
    await evictDurableObject(untyped(sku));
    const stub = env.SKU.getByName(sku);
    expect(await stub.counters(sku)).toMatchObject({ ok: true, value: { version: 5, onHand: 13, reserved: 0, sold: 0, available: 13 } });
    const page = await stub.events(sku, 2, 10);
    if (!page.ok) throw new Error('events failed');
    expect(page.value.events.map((e) => e.data)).toEqual([
      { reservationId: 'res_m', qty: 4 },
      { reservationId: 'res_m', qty: 4, reason: 'admin', refundDue: true },
      { qty: 3 },
    ]);
  });
});
