import { describe, expect, it } from 'vitest';
import { ReservationSchema, SkuViewSchema } from '../../src/contract/schemas';
import { ADMIN, call, createSku, eventsOf, reserve, storedViewAt, uniqueSku } from '../support/api';

const setStock = (sku: string, body: unknown) => call('PUT', `/v1/admin/skus/${sku}/stock`, { key: ADMIN, body });

/** Amsterdam (EU) holds 5 units, Newark (US, sourced first) 3. */
async function twoSites(sku: string) {
  expect((await setStock(sku, { onHand: 5, location: 'AMS-1', priority: 1, region: 'eu' })).status).toBe(200);
  const both = await setStock(sku, { onHand: 3, location: 'EWR-1', priority: 0, region: 'us' });
  expect(both.status).toBe(200);
  return both;
}

describe('a SKU held at two locations', () => {
  it('answers the stock per location, the SKU counters being the sums', async () => {
    const sku = uniqueSku('loc');
    const set = await twoSites(sku);
    expect(set.json).toEqual({
      sku, onHand: 8, reserved: 0, sold: 0, available: 8, limitPerCustomer: null,
      locations: [
        { location: 'AMS-1', onHand: 5, reserved: 0, sold: 0, available: 5, fed: null },
        { location: 'EWR-1', onHand: 3, reserved: 0, sold: 0, available: 3, fed: null },
      ],
      version: 2, asOf: expect.any(String),
    });
  });

  it("sources a reservation to the buyer's region, else by priority; its location is on the answer, the event and the view", async () => {
    const sku = uniqueSku('loc');
    await twoSites(sku);
    const eu = await reserve(sku, { customerId: 'alice', qty: 2, region: 'eu' }, 'k-eu');
    expect(eu.status).toBe(201);
    expect(ReservationSchema.parse(eu.json)).toEqual(eu.json);
    expect(eu.json).toEqual({
      reservationId: expect.any(String), sku, customerId: 'alice', qty: 2, status: 'held', allocation: 'pending',
      expiresAt: expect.any(String), releaseReason: null, refundDue: false, location: 'AMS-1', version: 3,
    });
    const anywhere = await reserve(sku, { customerId: 'bob', qty: 1 }, 'k-any');
    expect(anywhere.json.location).toBe('EWR-1');
    // Newark has 2 left: 3 units for a US buyer come from Amsterdam.
    const tooManyForUs = await reserve(sku, { customerId: 'carol', qty: 3, region: 'us' }, 'k-us');
    expect(tooManyForUs.json.location).toBe('AMS-1');
    const reservedEvents = (await eventsOf(sku)).filter((e) => e.type === 'StockReserved');
    expect(reservedEvents.map((e) => e.data.location)).toEqual(['AMS-1', 'EWR-1', 'AMS-1']);

    const view = await call('GET', `/v1/skus/${sku}?consistent=true`);
    expect(SkuViewSchema.parse(view.json)).toEqual(view.json);
    expect(view.json).toMatchObject({
      onHand: 8, reserved: 6, available: 2,
      locations: [
        { location: 'AMS-1', onHand: 5, reserved: 5, sold: 0, available: 0, fed: null },
        { location: 'EWR-1', onHand: 3, reserved: 1, sold: 0, available: 2, fed: null },
      ],
    });
    // No single location has 3 units any more: refused, telling the most one location can give.
    const split = await reserve(sku, { customerId: 'dave', qty: 3 }, 'k-split');
    expect(split.status).toBe(409);
    expect(split.json.error).toMatchObject({ code: 'insufficient_stock', details: { available: 2 } });
  });

  it("a completion and a cancellation move the reservation's location; a receipt and a stock change stay in theirs", async () => {
    const sku = uniqueSku('loc');
    await twoSites(sku);
    const sold = await reserve(sku, { customerId: 'alice', qty: 2, region: 'eu' }, 'k1');
    const held = await reserve(sku, { customerId: 'bob', qty: 3, region: 'us' }, 'k2');
    await call('POST', `/v1/skus/${sku}/reservations/${sold.json.reservationId}/complete`, { body: { customerId: 'alice' } });
    const cancelled = await call('DELETE', `/v1/skus/${sku}/reservations/${held.json.reservationId}?customerId=bob`);
    expect(cancelled.json).toMatchObject({ status: 'released', location: 'EWR-1' });
    // Invariant never-oversell-a-location: Amsterdam sold 2, so it cannot go under 2 whatever Newark holds.
    const under = await setStock(sku, { onHand: 1, location: 'AMS-1' });
    expect(under.status).toBe(409);
    expect(under.json.error).toMatchObject({ code: 'below_committed', details: { committed: 2 } });
    const received = await call('POST', `/v1/admin/skus/${sku}/receipts`, { key: ADMIN, body: { qty: 4, location: 'EWR-1' } });
    expect(received.status).toBe(200);
    expect(received.json.locations).toEqual([
      { location: 'AMS-1', onHand: 5, reserved: 0, sold: 2, available: 3, fed: null },
      { location: 'EWR-1', onHand: 7, reserved: 0, sold: 0, available: 7, fed: null },
    ]);
    expect(received.json).toMatchObject({ onHand: 12, reserved: 0, sold: 2, available: 10 });
  });

  it('the KV view carries the locations', async () => {
    const sku = uniqueSku('loc');
    await twoSites(sku);
    await reserve(sku, { customerId: 'alice', qty: 1, region: 'eu' }, 'k1');
    const stored = await storedViewAt(sku, 3);
    expect(stored?.locations).toEqual([
      { location: 'AMS-1', onHand: 5, reserved: 1, sold: 0, available: 4, fed: null },
      { location: 'EWR-1', onHand: 3, reserved: 0, sold: 0, available: 3, fed: null },
    ]);
  });
});

describe('a SKU that names no location', () => {
  it('behaves as before: no `locations`, no `location`, events without one', async () => {
    const sku = uniqueSku('loc');
    const created = await createSku(sku, 4);
    expect(created).toEqual({ sku, onHand: 4, reserved: 0, sold: 0, available: 4, limitPerCustomer: null, version: 1, asOf: expect.any(String) });
    const held = await reserve(sku, { customerId: 'alice', qty: 1, region: 'eu' }, 'k1');
    expect(held.status).toBe(201);
    expect(held.json).not.toHaveProperty('location');
    const events = await eventsOf(sku);
    expect(events.map((e) => 'location' in e.data)).toEqual([false, false]);
  });

  it('a region, priority or location is validated', async () => {
    const sku = uniqueSku('loc');
    expect((await setStock(sku, { onHand: 1, location: 'no spaces' })).status).toBe(400);
    const noLocation = await setStock(sku, { onHand: 1, region: 'eu' });
    expect(noLocation.status).toBe(400);
    expect(noLocation.json.error.message).toBe('priority and region are set on a location');
  });
});
