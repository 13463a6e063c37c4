import { describe, expect, it } from 'vitest';
import { CheckoutDetailSchema, CheckoutSchema } from '../../src/contract/schemas';
import { ADMIN, call, eventsOf, uniqueSku } from '../support/api';

const setStock = (sku: string, body: unknown) => call('PUT', `/v1/admin/skus/${sku}/stock`, { key: ADMIN, body });
const checkout = (body: unknown, key: string) => call('POST', '/v1/checkouts', { body, headers: { 'idempotency-key': key } });

/** Each SKU at Amsterdam (EU, priority 1) and Newark (US, priority 0: sourced first without a region). */
async function stockedAtBoth(sku: string) {
  expect((await setStock(sku, { onHand: 5, location: 'AMS-1', priority: 1, region: 'eu' })).status).toBe(200);
  expect((await setStock(sku, { onHand: 5, location: 'EWR-1', priority: 0, region: 'us' })).status).toBe(200);
}
const reservedAt = async (sku: string) => (await eventsOf(sku)).filter((e) => e.type === 'StockReserved').map((e) => e.data.location);

describe('a checkout whose lines name regions (ADR 0015)', () => {
  it("sources each line by its own region, else the checkout's: two SKUs of one checkout from two locations; each line's location answered", async () => {
    const [a, b] = [uniqueSku('cr-a'), uniqueSku('cr-b')].sort() as [string, string];
    await stockedAtBoth(a);
    await stockedAtBoth(b);
    const res = await checkout({ customerId: 'ann', region: 'eu', lines: [{ sku: a, qty: 2 }, { sku: b, qty: 1, region: 'us' }] }, 'k-regions');
    expect(res.status).toBe(201);
    expect(CheckoutSchema.parse(res.json)).toEqual(res.json);
    expect(res.json.lines).toEqual([
      { sku: a, qty: 2, region: 'eu', reservationId: expect.any(String), state: 'held', location: 'AMS-1' },
      { sku: b, qty: 1, region: 'us', reservationId: expect.any(String), state: 'held', location: 'EWR-1' },
    ]);
    expect(await reservedAt(a)).toEqual(['AMS-1']);
    expect(await reservedAt(b)).toEqual(['EWR-1']);
    expect((await call('GET', `/v1/skus/${a}?consistent=true`)).json.locations).toMatchObject([
      { location: 'AMS-1', reserved: 2 },
      { location: 'EWR-1', reserved: 0 },
    ]);

    const detail = await call('GET', `/v1/checkouts/${res.json.checkoutId}?customerId=ann`);
    expect(CheckoutDetailSchema.parse(detail.json)).toEqual(detail.json);
    expect(detail.json.lines.map((l: any) => [l.location, l.reservation.location])).toEqual([['AMS-1', 'AMS-1'], ['EWR-1', 'EWR-1']]);
  });

  it('without any region the lines are sourced as before (priority first); a SKU naming no location answers none', async () => {
    const [a, plain] = [uniqueSku('cr-c'), uniqueSku('cr-d')].sort() as [string, string];
    await stockedAtBoth(a);
    expect((await setStock(plain, { onHand: 5 })).status).toBe(200);
    const res = await checkout({ customerId: 'bob', lines: [{ sku: a, qty: 1 }, { sku: plain, qty: 1 }] }, 'k-none');
    expect(res.status).toBe(201);
    expect(res.json.lines).toEqual([
      { sku: a, qty: 1, reservationId: expect.any(String), state: 'held', location: 'EWR-1' },
      { sku: plain, qty: 1, reservationId: expect.any(String), state: 'held' },
    ]);
  });

  it('a region with no location holding the units falls back to the others; lines of one SKU naming two regions are refused (400)', async () => {
    const a = uniqueSku('cr-e');
    await stockedAtBoth(a);
    const fallback = await checkout({ customerId: 'cy', region: 'eu', lines: [{ sku: a, qty: 5 }] }, 'k-fallback');
    expect(fallback.json.lines[0].location).toBe('AMS-1');
    const again = await checkout({ customerId: 'dee', region: 'eu', lines: [{ sku: a, qty: 4 }] }, 'k-fallback-2');
    expect(again.json.lines[0]).toMatchObject({ region: 'eu', location: 'EWR-1' });
    const mixed = await checkout({ customerId: 'eve', lines: [{ sku: a, qty: 1, region: 'eu' }, { sku: a, qty: 1, region: 'us' }] }, 'k-mixed');
    expect(mixed.status).toBe(400);
    expect(mixed.json.error.code).toBe('invalid_request');
  });
});
