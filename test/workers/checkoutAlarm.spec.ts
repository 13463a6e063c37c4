import { env } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { call, createSku, uniqueSku } from '../support/api';

const checkout = (body: unknown, key: string) => call('POST', '/v1/checkouts', { body, headers: { 'idempotency-key': key } });

describe("the checkout's alarm", () => {
  it('folds only the events past its state: the log it already folded is not read again', async () => {
    const sku = uniqueSku('co-fold');
    await createSku(sku, 5);
    const res = await checkout({ customerId: 'fay', lines: [{ sku, qty: 1 }] }, 'fold');
    expect(res.status).toBe(201);
    const stub = env.CHECKOUT.getByName(res.json.checkoutId) as unknown as DurableObjectStub;
    await runInDurableObject(stub, async (instance: DurableObject, state) => {
      // The first event made unreadable: a fold of the whole log would throw on it.
      state.storage.sql.exec("UPDATE events SET data = '{}' WHERE version = 1");
      await instance.alarm!();
    });
    const cancelled = await call('DELETE', `/v1/checkouts/${res.json.checkoutId}?customerId=fay`);
    expect(cancelled.json).toMatchObject({ status: 'cancelled', version: 4 });
    expect((await call('GET', `/v1/skus/${sku}?consistent=true`)).json.reserved).toBe(0);
  });
});
