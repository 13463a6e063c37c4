import { describe, expect, it } from 'vitest';
import { createSku, eventsOf, reserve, STOREFRONT_2, uniqueSku } from '../support/api';

describe('Idempotency-Key on reservations', () => {
  it('concurrent identical requests make one reservation; every answer is that reservation', async () => {
    const sku = uniqueSku('idem');
    await createSku(sku, 10);
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => reserve(sku, { customerId: 'alice', qty: 2 }, 'checkout-123')),
    );
    expect(responses.every((r) => r.status === 201)).toBe(true);
    expect(new Set(responses.map((r) => r.text)).size).toBe(1);
    expect(responses.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(49);
    expect((await eventsOf(sku)).filter((e) => e.type === 'StockReserved')).toHaveLength(1);
  });

  it('a replay returns the identical body with Idempotent-Replayed', async () => {
    const sku = uniqueSku('idem');
    await createSku(sku, 10);
    const first = await reserve(sku, { customerId: 'alice', qty: 1, ttlSeconds: 60 }, 'k');
    const again = await reserve(sku, { customerId: 'alice', qty: 1, ttlSeconds: 60 }, 'k');
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.text).toBe(first.text);
  });

  it('omitting ttlSeconds is the same request as sending the default', async () => {
    const sku = uniqueSku('idem');
    await createSku(sku, 10);
    const first = await reserve(sku, { customerId: 'alice', qty: 1 }, 'k');
    const again = await reserve(sku, { customerId: 'alice', qty: 1, ttlSeconds: 300 }, 'k');
    expect(again.text).toBe(first.text);
  });

  it('the same key with another body is refused with 422 and appends nothing', async () => {
    const sku = uniqueSku('idem');
    await createSku(sku, 10);
    await reserve(sku, { customerId: 'alice', qty: 1 }, 'k');
    const before = await eventsOf(sku);
    const reused = await reserve(sku, { customerId: 'alice', qty: 2 }, 'k');
    expect(reused.status).toBe(422);
    expect(reused.json).toEqual({
      error: { code: 'idempotency_key_reused', message: 'this Idempotency-Key was used with a different request' },
    });
    expect(await eventsOf(sku)).toEqual(before);
  });

  it('stores refusals too: a replay of a 409 is the same 409', async () => {
    const sku = uniqueSku('idem');
    await createSku(sku, 1);
    const refused = await reserve(sku, { customerId: 'alice', qty: 2 }, 'k');
    expect(refused.status).toBe(409);
    const again = await reserve(sku, { customerId: 'alice', qty: 2 }, 'k');
    expect(again.status).toBe(409);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.text).toBe(refused.text);
  });

  it('keys are scoped per customer and per key owner: no cross-caller replays', async () => {
    const sku = uniqueSku('idem');
    await createSku(sku, 10);
    const alice = await reserve(sku, { customerId: 'alice', qty: 1 }, 'shared');
    const bob = await reserve(sku, { customerId: 'bob', qty: 1 }, 'shared');
    const otherShop = await reserve(sku, { customerId: 'alice', qty: 1 }, 'shared', STOREFRONT_2);
    expect([alice.status, bob.status, otherShop.status]).toEqual([201, 201, 201]);
    expect(new Set([alice.json.reservationId, bob.json.reservationId, otherShop.json.reservationId]).size).toBe(3);
    expect(otherShop.headers.get('idempotent-replayed')).toBeNull();
  });
});
