import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createStorefrontClient, StorefrontError, type StorefrontClientOptions } from '../../src/client';
import { createSku, eventsOf, STOREFRONT, uniqueSku } from '../support/api';

/** The real Worker in workerd as the client's network; `transport` may drop or delay what passes. */
type Transport = (request: Request, worker: (request: Request) => Promise<Response>) => Promise<Response>;
const toWorker = (request: Request) => exports.default.fetch(request);

function client(transport: Transport = (request, worker) => worker(request), extra: Partial<StorefrontClientOptions> = {}) {
  const sleeps: number[] = [];
  const sdk = createStorefrontClient({
    baseUrl: 'https://edge.test',
    apiKey: STOREFRONT,
    fetch: (input, init) => transport(new Request(input, init), toWorker),
    sleep: async (ms) => void sleeps.push(ms),
    random: () => 0.5,
    ...extra,
  });
  return { sdk, sleeps };
}

describe('the storefront client against the Worker', () => {
  it('reserve, read, complete: typed answers from the API', async () => {
    const sku = uniqueSku('sdk');
    await createSku(sku, 10, 2);
    const { sdk } = client();
    const held = await sdk.reserve(sku, { customerId: 'ann', qty: 2 });
    expect(held).toMatchObject({ sku, customerId: 'ann', qty: 2, status: 'held', allocation: 'pending' });
    expect((await sdk.reservation(sku, held.reservationId, 'ann')).history.map((e) => e.type)).toEqual(['StockReserved']);
    expect(await sdk.complete(sku, held.reservationId, 'ann')).toMatchObject({ status: 'completed' });
    expect(await sdk.sku(sku, { consistent: true })).toMatchObject({ onHand: 10, reserved: 0, sold: 2, available: 8, source: 'primary' });
  });

  it('a reserve whose answer is lost is sent again under the same key: one reservation, the same answer', async () => {
    const sku = uniqueSku('sdk-drop');
    await createSku(sku, 10);
    const keys: string[] = [];
    let dropped = 0;
    const { sdk, sleeps } = client(async (request, worker) => {
      keys.push(request.headers.get('idempotency-key') ?? '');
      const response = await worker(request);
      // The Worker did the work; the answer never reaches the shop (a cut connection).
      if (dropped++ === 0) throw new TypeError('network connection lost');
      return response;
    });
    const held = await sdk.reserve(sku, { customerId: 'bob', qty: 3 });
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    expect(sleeps).toHaveLength(1);
    const reserved = (await eventsOf(sku)).filter((e) => e.type === 'StockReserved');
    expect(reserved.map((e) => e.data.reservationId)).toEqual([held.reservationId]);
    expect(await sdk.sku(sku, { consistent: true })).toMatchObject({ reserved: 3, available: 7 });
  });

  it('503 overloaded waits its Retry-After plus jitter (up to half as much again) before the next attempt, under the same key', async () => {
    const sku = uniqueSku('sdk-503');
    await createSku(sku, 5);
    let calls = 0;
    const { sdk, sleeps } = client(async (request, worker) =>
      ++calls === 1
        ? Response.json({ error: { code: 'overloaded', message: 'the SKU is busy' } }, { status: 503, headers: { 'retry-after': '2' } })
        : worker(request),
    );
    expect(await sdk.reserve(sku, { customerId: 'cy', qty: 1 })).toMatchObject({ status: 'held' });
    expect(calls).toBe(2);
    // 2 s and a quarter more (random 0.5 of the half): past the backoff's 50 ms.
    expect(sleeps).toEqual([2_500]);
  });

  it('429 rate limited is waited out as its Retry-After says, then sent again under the same key; the lookups send X-Customer-Id, not a query', async () => {
    const sku = uniqueSku('sdk-429');
    await createSku(sku, 5);
    const seen: Request[] = [];
    const { sdk, sleeps } = client(async (request, worker) => {
      seen.push(request.clone());
      return seen.length === 1
        ? Response.json({ error: { code: 'rate_limited', message: 'slow down', details: { scope: 'customer' } } }, { status: 429, headers: { 'retry-after': '10' } })
        : worker(request);
    });
    const held = await sdk.reserve(sku, { customerId: 'dee', qty: 1 });
    expect(held).toMatchObject({ status: 'held' });
    expect(sleeps).toEqual([12_500]);
    expect(seen[0]!.headers.get('idempotency-key')).toBe(seen[1]!.headers.get('idempotency-key'));
    await sdk.reservation(sku, held.reservationId, 'dee');
    const lookup = seen.at(-1)!;
    expect(new URL(lookup.url).search).toBe('');
    expect(lookup.headers.get('x-customer-id')).toBe('dee');
  });

  it('a Retry-After past the bound is waited only the bound', async () => {
    let calls = 0;
    const { sdk, sleeps } = client(async () =>
      ++calls === 1
        ? Response.json({ error: { code: 'overloaded', message: 'busy' } }, { status: 503, headers: { 'retry-after': '3600' } })
        : Response.json({ error: { code: 'sku_not_found', message: 'no such SKU' } }, { status: 404 }),
    { maxRetryAfterMs: 30_000 });
    await expect(sdk.sku('anything')).rejects.toMatchObject({ code: 'sku_not_found', attempts: 2 });
    expect(sleeps).toEqual([30_000]);
  });

  it('a retry asks the object (no-cache), so a lost answer for the last unit is replayed, not refused from the edge\'s sold-out memory', async () => {
    const sku = uniqueSku('sdk-last');
    await createSku(sku, 1);
    const seen: (string | null)[] = [];
    let dropped = 0;
    const { sdk } = client(async (request, worker) => {
      seen.push(request.headers.get('cache-control'));
      const response = await worker(request);
      if (dropped++ > 0) return response;
      // Another buyer is refused by the object meanwhile: the edge now remembers the SKU sold out.
      const other = await worker(new Request(request.url, { method: 'POST', headers: { authorization: `Bearer ${STOREFRONT}`, 'content-type': 'application/json', 'idempotency-key': 'other' }, body: JSON.stringify({ customerId: 'zed', qty: 1 }) }));
      expect(other.status).toBe(409);
      throw new TypeError('network connection lost');
    });
    const held = await sdk.reserve(sku, { customerId: 'last', qty: 1 });
    expect(held).toMatchObject({ customerId: 'last', status: 'held' });
    expect(seen).toEqual([null, 'no-cache']);
  });

  it('a refusal is final: thrown with its code, not retried', async () => {
    const sku = uniqueSku('sdk-refused');
    await createSku(sku, 1);
    let calls = 0;
    const { sdk } = client((request, worker) => (calls++, worker(request)));
    const refused = await sdk.reserve(sku, { customerId: 'dee', qty: 2 }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(StorefrontError);
    expect(refused).toMatchObject({ code: 'insufficient_stock', status: 409, attempts: 1 });
    expect(calls).toBe(1);
  });

  it('attempts run out: the last failure, with how many were made', async () => {
    const { sdk, sleeps } = client(async () => {
      throw new TypeError('no route to host');
    }, { attempts: 3, baseDelayMs: 100 });
    const failed = await sdk.sku('anything').catch((error: unknown) => error);
    expect(failed).toMatchObject({ code: 'network', status: 0, attempts: 3 });
    // Full jitter (random 0.5) of 100 ms doubled per attempt.
    expect(sleeps).toEqual([50, 100]);
  });

  it('checkout: every line reserved, then cancelled', async () => {
    const [a, b] = [uniqueSku('sdk-co'), uniqueSku('sdk-co')];
    await createSku(a, 5);
    await createSku(b, 5);
    const { sdk } = client();
    const checkout = await sdk.checkout({ customerId: 'eve', lines: [{ sku: a, qty: 1 }, { sku: b, qty: 2 }] });
    expect(checkout.status).toBe('reserved');
    expect(checkout.lines.map((l) => l.state)).toEqual(['held', 'held']);
    expect((await sdk.checkoutDetail(checkout.checkoutId, 'eve')).lines.every((l) => l.reservation?.status === 'held')).toBe(true);
    expect(await sdk.cancelCheckout(checkout.checkoutId, 'eve')).toMatchObject({ status: 'cancelled' });
  });
});
