import { describe, expect, it } from 'vitest';
import { MovementResultSchema, type MovementCommand } from '../../src/contract/movements';
import { SkuViewSchema } from '../../src/contract/schemas';
import { sha256Hex } from '../../src/api/auth';
import { ADMIN, call, eventsOf, reserve, signed, storedViewAt, uniqueSku } from '../support/api';

/** The admin key's id on the events: its digest prefix, never the key. */
const adminId = async () => (await sha256Hex(ADMIN)).slice(0, 16);
const AT = '2026-12-06T10:00:00Z';

const movement = (sku: string, sequence: number, location: string, delta: number, kind: MovementCommand['movement'] = 'count') =>
  signed('POST', `/internal/skus/${sku}/movements`, { warehouse: 'soap-1', document: `WMS-${sequence}`, sequence, movement: kind, location, delta, at: AT });
const fedBy = (sequence: number, kind = 'count') => ({ kind: 'warehouse', warehouse: 'soap-1', document: `WMS-${sequence}`, sequence, movement: kind });
const setStock = (sku: string, body: unknown) => call('PUT', `/v1/admin/skus/${sku}/stock`, { key: ADMIN, body });
const adjust = (sku: string, body: unknown, key: string | null = 'adj-1') =>
  call('POST', `/v1/admin/skus/${sku}/adjustments`, { key: ADMIN, body, headers: key === null ? {} : { 'idempotency-key': key } });
const complete = (sku: string, id: string, customerId: string) => call('POST', `/v1/skus/${sku}/reservations/${id}/complete`, { body: { customerId } });

/** Amsterdam fed by soap-1 (`onHand` units, sourced first), Newark set by hand (`ewr` units, priority 1). */
async function fedAndHandSet(sku: string, onHand: number, ewr: number) {
  expect((await movement(sku, 1, 'AMS-1', onHand, 'receipt')).status).toBe(200);
  expect((await setStock(sku, { onHand: ewr, location: 'EWR-1', priority: 1 })).status).toBe(200);
}

describe('warehouse movements (the feed)', () => {
  it('a receipt creates the SKU; counts and damages move the location; a document delivered again counts once', async () => {
    const sku = uniqueSku('fed');
    const receipt = await movement(sku, 1, 'AMS-1', 5, 'receipt');
    expect(receipt.status).toBe(200);
    expect(MovementResultSchema.parse(receipt.json)).toEqual(receipt.json);
    expect(receipt.json).toEqual({
      sku, version: 1, applied: true, location: { location: 'AMS-1', onHand: 5, reserved: 0, sold: 0, available: 5 }, shortfall: null,
    });
    expect((await movement(sku, 4, 'AMS-1', -1, 'count')).json).toMatchObject({ version: 2, applied: true, location: { onHand: 4 } });
    expect((await movement(sku, 6, 'AMS-1', -2, 'damage')).json).toMatchObject({ version: 3, applied: true, location: { onHand: 2 } });
    // The feed restarted from an older cursor: documents at or below the last sequence are answered, not applied.
    for (const sequence of [4, 6]) {
      const again = await movement(sku, sequence, 'AMS-1', -1);
      expect(again.status).toBe(200);
      expect(again.json).toEqual({ sku, version: 3, applied: false, location: { location: 'AMS-1', onHand: 2, reserved: 0, sold: 0, available: 2 }, shortfall: null });
    }
    const events = await eventsOf(sku);
    expect(events.map((e) => [e.type, e.data])).toEqual([
      ['StockMoved', { location: 'AMS-1', delta: 5, cause: fedBy(1, 'receipt') }],
      ['StockMoved', { location: 'AMS-1', delta: -1, cause: fedBy(4, 'count') }],
      ['StockMoved', { location: 'AMS-1', delta: -2, cause: fedBy(6, 'damage') }],
    ]);
    const view = await call('GET', `/v1/skus/${sku}?consistent=true`);
    expect(SkuViewSchema.parse(view.json)).toEqual(view.json);
    expect(view.json.locations).toEqual([{ location: 'AMS-1', onHand: 2, reserved: 0, sold: 0, available: 2, fed: { warehouse: 'soap-1', sequence: 6 } }]);
  });

  it('a count below committed re-sources the newest held reservations to the other location', async () => {
    const sku = uniqueSku('fed');
    await fedAndHandSet(sku, 5, 3);
    const alice = await reserve(sku, { customerId: 'alice', qty: 2 }, 'k-a');
    const bob = await reserve(sku, { customerId: 'bob', qty: 2 }, 'k-b');
    const carol = await reserve(sku, { customerId: 'carol', qty: 1 }, 'k-c');
    expect([alice, bob, carol].map((r) => r.json.location)).toEqual(['AMS-1', 'AMS-1', 'AMS-1']);
    expect((await complete(sku, alice.json.reservationId, 'alice')).status).toBe(200);

    const count = await movement(sku, 2, 'AMS-1', -3);
    expect(count.status).toBe(200);
    expect(count.json).toEqual({
      sku, version: 10, applied: true,
      location: { location: 'AMS-1', onHand: 2, reserved: 0, sold: 2, available: 0 },
      shortfall: {
        short: 3, unresolved: 0,
        resourced: [{ reservationId: carol.json.reservationId, qty: 1, to: 'EWR-1' }, { reservationId: bob.json.reservationId, qty: 2, to: 'EWR-1' }],
        released: [],
      },
    });
    const events = (await eventsOf(sku)).slice(6);
    expect(events.map((e) => [e.type, e.data])).toEqual([
      ['StockMoved', { location: 'AMS-1', delta: -3, cause: fedBy(2) }],
      ['StockShortfall', { location: 'AMS-1', short: 3, unresolved: 0, cause: fedBy(2) }],
      ['ReservationResourced', { reservationId: carol.json.reservationId, qty: 1, from: 'AMS-1', to: 'EWR-1', completed: false, reason: 'stock_shortfall' }],
      ['ReservationResourced', { reservationId: bob.json.reservationId, qty: 2, from: 'AMS-1', to: 'EWR-1', completed: false, reason: 'stock_shortfall' }],
    ]);
    const held = await call('GET', `/v1/skus/${sku}/reservations/${bob.json.reservationId}?customerId=bob`);
    expect(held.json).toMatchObject({ status: 'held', location: 'EWR-1' });
    const view = await call('GET', `/v1/skus/${sku}?consistent=true`);
    expect(view.json.locations).toEqual([
      { location: 'AMS-1', onHand: 2, reserved: 0, sold: 2, available: 0, fed: { warehouse: 'soap-1', sequence: 2 } },
      { location: 'EWR-1', onHand: 3, reserved: 3, sold: 0, available: 0, fed: null },
    ]);
  });

  it('releases a held reservation no location can take, and leaves a sold one nobody can take unresolved', async () => {
    const sku = uniqueSku('fed');
    await fedAndHandSet(sku, 4, 1);
    const alice = await reserve(sku, { customerId: 'alice', qty: 2 }, 'k-a');
    await complete(sku, alice.json.reservationId, 'alice');
    const bob = await reserve(sku, { customerId: 'bob', qty: 2 }, 'k-b');

    const count = await movement(sku, 2, 'AMS-1', -3);
    expect(count.json).toEqual({
      sku, version: 8, applied: true,
      location: { location: 'AMS-1', onHand: 1, reserved: 0, sold: 2, available: -1 },
      shortfall: { short: 3, unresolved: 1, resourced: [], released: [{ reservationId: bob.json.reservationId, qty: 2 }] },
    });
    const events = (await eventsOf(sku)).slice(5);
    expect(events.map((e) => [e.type, e.data])).toEqual([
      ['StockMoved', { location: 'AMS-1', delta: -3, cause: fedBy(2) }],
      ['StockShortfall', { location: 'AMS-1', short: 3, unresolved: 1, cause: fedBy(2) }],
      ['StockReleased', { reservationId: bob.json.reservationId, qty: 2, reason: 'stock_shortfall', refundDue: false, location: 'AMS-1' }],
    ]);
    const released = await call('GET', `/v1/skus/${sku}/reservations/${bob.json.reservationId}?customerId=bob`);
    expect(released.json).toMatchObject({ status: 'released', releaseReason: 'stock_shortfall', refundDue: false });
  });

  it('refuses another warehouse, a location taken below 0, a bad body and a replayed signature (a sharded SKU takes it at shard 0)', async () => {
    const sharded = uniqueSku('fed');
    expect((await setStock(sharded, { onHand: 4, shards: 2 })).status).toBe(200);
    const onSharded = await movement(sharded, 1, 'AMS-1', 1);
    expect(onSharded.status).toBe(200);
    expect(onSharded.json).toMatchObject({ sku: sharded, applied: true, location: { location: 'AMS-1', onHand: 1 } });

    const sku = uniqueSku('fed');
    await movement(sku, 1, 'AMS-1', 2, 'receipt');
    const other = await signed('POST', `/internal/skus/${sku}/movements`, { warehouse: 'soap-2', document: 'X-1', sequence: 9, movement: 'receipt', location: 'AMS-1', delta: 1, at: AT });
    expect(other.json.error).toEqual({ code: 'invalid_command', message: 'AMS-1 is fed by warehouse soap-1, not soap-2' });
    expect((await movement(sku, 2, 'AMS-1', -3)).json.error).toEqual({ code: 'invalid_command', message: 'the movement would take AMS-1 to -1 units' });
    const shipment = await signed('POST', `/internal/skus/${sku}/movements`, { warehouse: 'soap-1', document: 'S-1', sequence: 3, movement: 'shipment', location: 'AMS-1', delta: -1, at: AT });
    expect(shipment.status).toBe(400);
    expect(shipment.json.error.code).toBe('invalid_request');

    const path = `/internal/skus/${sku}/movements`;
    const unsigned = await call('POST', path, { key: ADMIN, body: { warehouse: 'soap-1', document: 'D', sequence: 3, movement: 'count', location: 'AMS-1', delta: 1, at: AT } });
    expect(unsigned.status).toBe(401);
  });
});

describe('a fed location is not set by hand', () => {
  it('PUT stock and receipts there are refused with 409 location_fed; a location set by hand still takes them', async () => {
    const sku = uniqueSku('fed');
    await fedAndHandSet(sku, 5, 3);
    const put = await setStock(sku, { onHand: 9, location: 'AMS-1' });
    expect(put.status).toBe(409);
    expect(put.json).toEqual({
      error: {
        code: 'location_fed', message: 'stock at AMS-1 is fed by warehouse soap-1; post an adjustment instead',
        details: { location: 'AMS-1', warehouse: 'soap-1' },
      },
    });
    const receipt = await call('POST', `/v1/admin/skus/${sku}/receipts`, { key: ADMIN, body: { qty: 1, location: 'AMS-1' } });
    expect(receipt.status).toBe(409);
    expect(receipt.json.error.code).toBe('location_fed');
    expect((await setStock(sku, { onHand: 4, location: 'EWR-1' })).status).toBe(200);
  });

  it('the KV view carries `fed`', async () => {
    const sku = uniqueSku('fed');
    await fedAndHandSet(sku, 5, 3);
    const stored = await storedViewAt(sku, 2);
    expect(stored?.locations).toEqual([
      { location: 'AMS-1', onHand: 5, reserved: 0, sold: 0, available: 5, fed: { warehouse: 'soap-1', sequence: 1 } },
      { location: 'EWR-1', onHand: 3, reserved: 0, sold: 0, available: 3, fed: null },
    ]);
  });
});

describe('adjustments (reconcile --repair)', () => {
  it("move a location, citing the admin key's id and the document; a retry replays; another body under the key is 422", async () => {
    const sku = uniqueSku('fed');
    await fedAndHandSet(sku, 5, 3);
    const body = { location: 'AMS-1', delta: -2, reason: 'reconcile: warehouse counted 3', document: 'WMS-77' };
    const first = await adjust(sku, body);
    expect(first.status).toBe(200);
    expect(first.json).toEqual({
      sku, version: 3, applied: true, location: { location: 'AMS-1', onHand: 3, reserved: 0, sold: 0, available: 3 }, shortfall: null,
    });
    const again = await adjust(sku, body);
    expect(again.status).toBe(200);
    expect(again.json).toEqual(first.json);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await adjust(sku, { ...body, delta: -1 })).status).toBe(422);
    const [moved] = (await eventsOf(sku)).slice(2);
    expect(moved).toMatchObject({
      type: 'StockMoved', version: 3,
      data: { location: 'AMS-1', delta: -2, cause: { kind: 'repair', keyId: await adminId(), reason: 'reconcile: warehouse counted 3', document: 'WMS-77' } },
    });
    // A repair keeps the location's feed: the next document still counts from its sequence.
    expect((await movement(sku, 1, 'AMS-1', 1)).json.applied).toBe(false);
  });

  it('need an Idempotency-Key and a delta other than 0; refused on an unknown SKU, applied at shard 0 of a sharded one', async () => {
    const sku = uniqueSku('fed');
    await fedAndHandSet(sku, 5, 3);
    const body = { location: 'AMS-1', delta: 1, reason: 'r' };
    expect((await adjust(sku, body, null)).status).toBe(400);
    const zero = await adjust(sku, { ...body, delta: 0 }, 'adj-0');
    expect(zero.status).toBe(400);
    expect(zero.json.error.message).toBe('delta: delta must not be 0');
    expect((await adjust(uniqueSku('nobody'), body)).json.error.code).toBe('sku_not_found');
    const sharded = uniqueSku('fed');
    await setStock(sharded, { onHand: 4, shards: 2 });
    const repaired = await adjust(sharded, body);
    expect(repaired.status).toBe(200);
    expect(repaired.json).toMatchObject({ applied: true, location: { location: 'AMS-1', onHand: 1 } });
    expect((await call('POST', `/v1/admin/skus/${sku}/adjustments`, { body, headers: { 'idempotency-key': 'k' } })).status).toBe(403);
  });
});

describe('audit causes', () => {
  it("stock set, received and released by an admin carry the key's id; the saga's verdicts carry the reservation", async () => {
    const sku = uniqueSku('cause');
    const keyId = await adminId();
    await setStock(sku, { onHand: 5 });
    await call('POST', `/v1/admin/skus/${sku}/receipts`, { key: ADMIN, body: { qty: 2 }, headers: { 'idempotency-key': 'r-1' } });
    const a = await reserve(sku, { customerId: 'alice', qty: 1 }, 'k-a');
    const b = await reserve(sku, { customerId: 'bob', qty: 1 }, 'k-b');
    await call('POST', `/v1/admin/skus/${sku}/reservations/${a.json.reservationId}/release`, { key: ADMIN, body: {} });
    await signed('POST', `/internal/skus/${sku}/reservations/${b.json.reservationId}/allocation`, { outcome: 'confirmed', allocationId: 'al-1' });
    const events = await eventsOf(sku);
    expect(events.map((e) => [e.type, e.data.cause])).toEqual([
      ['StockSet', { kind: 'admin', keyId }],
      ['StockReceived', { kind: 'admin', keyId }],
      ['StockReserved', undefined],
      ['StockReserved', undefined],
      ['StockReleased', { kind: 'admin', keyId }],
      ['AllocationConfirmed', { kind: 'saga', reservationId: b.json.reservationId }],
    ]);
    expect(keyId).toMatch(/^[0-9a-f]{16}$/);
  });
});
