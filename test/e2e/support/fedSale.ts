import { expect } from 'vitest';
import { STOREFRONT_KEY } from './worker';

/** The edge as `sagaSystem` calls it: a path, a method, a key, a JSON body and more headers. */
export type Edge = (path: string, method: string, key: string, body?: unknown, headers?: Record<string, string>) => Promise<Response>;

export type Bought = { i: number; sku: string; customerId: string; reserve: number; reservationId: string | null; location: string | null; qty: number; action: 'complete' | 'cancel' | 'keep'; answer: number | null };

/**
 * Buyer `i` of the warehouse-fed sales (fed stock, two warehouses): 2 units every 7th, else 1;
 * most complete, one in ten cancels, one in ten keeps its hold; names `region` when given. A
 * refusal must be `insufficient_stock`.
 */
export async function fedBuyer(edge: Edge, i: number, sku: string, region?: string): Promise<Bought> {
  const customerId = `buyer-${i}`;
  const qty = i % 7 === 0 ? 2 : 1;
  const action = i % 10 === 9 ? 'cancel' : i % 5 === 4 ? 'keep' : 'complete';
  const res = await edge(`/v1/skus/${sku}/reservations`, 'POST', STOREFRONT_KEY, { customerId, qty, ...(region ? { region } : {}) }, { 'idempotency-key': `${sku}-${customerId}` });
  const body = (await res.json()) as { reservationId?: string; location?: string; error?: { code: string } };
  const bought: Bought = { i, sku, customerId, reserve: res.status, reservationId: body.reservationId ?? null, location: body.location ?? null, qty, action, answer: null };
  if (res.status !== 201) {
    expect(res.status, JSON.stringify(body)).toBe(409);
    expect(body.error?.code).toBe('insufficient_stock');
    return bought;
  }
  if (action === 'keep') return bought;
  const path = `/v1/skus/${sku}/reservations/${body.reservationId}`;
  const done = action === 'complete' ? await edge(`${path}/complete`, 'POST', STOREFRONT_KEY, { customerId }, { 'idempotency-key': `complete-${body.reservationId}` }) : await edge(`${path}?customerId=${customerId}`, 'DELETE', STOREFRONT_KEY);
  await done.body?.cancel();
  return { ...bought, answer: done.status };
}
