import { ADMIN_KEY, STOREFRONT_KEY } from './worker';

/** The two edge calls the relay specs make, against whichever Worker `url()` names. */
export function storefront(url: () => string) {
  /** An admin call on a SKU (`{sku}/stock`, say). */
  const admin = (path: string, method: string, body: unknown) =>
    fetch(`${url()}/v1/admin/skus/${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  /** One unit for a buyer, under an idempotency key of its own; answers the status. */
  async function reserve(sku: string, customerId: string): Promise<number> {
    const response = await fetch(`${url()}/v1/skus/${sku}/reservations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${STOREFRONT_KEY}`, 'content-type': 'application/json', 'idempotency-key': `${sku}-${customerId}` },
      body: JSON.stringify({ customerId, qty: 1 }),
    });
    await response.body?.cancel();
    return response.status;
  }

  return { admin, reserve };
}
