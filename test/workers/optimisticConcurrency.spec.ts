import { describe, expect, it } from 'vitest';
import { ADMIN, call, createSku, eventsOf, reserve, uniqueSku } from '../support/api';

describe('expectedVersion on admin commands', () => {
  it('a stale expectedVersion is refused with the current version and appends nothing', async () => {
    const sku = uniqueSku('occ');
    await createSku(sku, 10);
    await reserve(sku, { customerId: 'c', qty: 1 }, 'k');
    const before = await eventsOf(sku);
    const res = await call('PUT', `/v1/admin/skus/${sku}/stock`, { key: ADMIN, body: { onHand: 20, expectedVersion: 1 } });
    expect(res.status).toBe(409);
    expect(res.json).toEqual({
      error: {
        code: 'version_conflict',
        message: 'expected version 1 but the SKU is at version 2',
        details: { currentVersion: 2, expectedVersion: 1 },
      },
    });
    expect(await eventsOf(sku)).toEqual(before);
  });

  it('the current expectedVersion applies', async () => {
    const sku = uniqueSku('occ');
    await createSku(sku, 10);
    const res = await call('POST', `/v1/admin/skus/${sku}/receipts`, { key: ADMIN, body: { qty: 5, expectedVersion: 1 } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ onHand: 15, available: 15, version: 2 });
  });

  it('of two concurrent writers with the same expectedVersion exactly one wins', async () => {
    const sku = uniqueSku('occ');
    await createSku(sku, 10);
    const results = await Promise.all(
      [30, 40, 50, 60].map((onHand) =>
        call('PUT', `/v1/admin/skus/${sku}/stock`, { key: ADMIN, body: { onHand, expectedVersion: 1 } }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409, 409]);
    expect(await eventsOf(sku)).toHaveLength(2);
  });

  it('onHand below what is reserved and sold is refused', async () => {
    const sku = uniqueSku('occ');
    await createSku(sku, 10);
    await reserve(sku, { customerId: 'c', qty: 4 }, 'k');
    const res = await call('PUT', `/v1/admin/skus/${sku}/stock`, { key: ADMIN, body: { onHand: 3 } });
    expect(res.status).toBe(409);
    expect(res.json.error).toMatchObject({ code: 'below_committed', details: { committed: 4 } });
  });
});
