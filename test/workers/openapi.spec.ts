import { describe, expect, it } from 'vitest';
import { ADMIN, call, createSku, reserve, STOREFRONT, uniqueSku } from '../support/api';

type Operation = { operationId: string; tags: string[]; responses: Record<string, { headers?: Record<string, unknown>; content?: { 'application/json': { schema: any } } }> };

async function operations(): Promise<Map<string, Operation>> {
  const doc = (await call('GET', '/openapi.json', { key: null })).json;
  return new Map(Object.entries(doc.paths as Record<string, Record<string, Operation>>).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => [`${method.toUpperCase()} ${path}`, op] as const)));
}

/** The codes an operation documents under a status. */
const documented = (op: Operation, status: number): string[] => op.responses[String(status)]?.content?.['application/json'].schema.properties.error.properties.code.enum ?? [];

describe('the OpenAPI document says what the API answers', () => {
  it('every operation has an id, a tag and its error codes by status; servers and license are set', async () => {
    const doc = (await call('GET', '/openapi.json', { key: null })).json;
    expect(doc.servers).toEqual([{ url: 'https://edge.test', description: 'this deployment' }]);
    expect(doc.info.license).toEqual({ name: 'Proprietary', identifier: 'LicenseRef-Proprietary' });
    const ops = await operations();
    expect(new Set([...ops.values()].map((o) => o.operationId)).size).toBe(ops.size);
    for (const [route, op] of ops) {
      expect(op.tags, route).toHaveLength(1);
      expect(documented(op, 401), route).toEqual(['unauthorized']);
      expect(documented(op, 503), route).toEqual(['overloaded']);
    }
    const reserveOp = ops.get('POST /v1/skus/{sku}/reservations')!;
    expect(reserveOp.responses['201']!.headers).toHaveProperty('Idempotent-Replayed');
    expect(reserveOp.responses['201']!.content!['application/json'].schema).toEqual({ $ref: '#/components/schemas/Reservation' });
    expect(doc.components.schemas.Reservation.properties.expiresAt).toMatchObject({ type: 'string', format: 'date-time' });
  });

  it('the refusals the API really gives are the ones documented for their operation and status', async () => {
    const ops = await operations();
    const sku = uniqueSku('doc');
    await createSku(sku, 2, 1);
    const seen: [string, number, string][] = [];
    const note = (route: string, res: { status: number; json: any }) => seen.push([route, res.status, res.json.error.code]);
    const RESERVE = 'POST /v1/skus/{sku}/reservations';
    await reserve(sku, { customerId: 'a', qty: 1 }, 'k1');
    note(RESERVE, await reserve(sku, { customerId: 'a', qty: 1 }, 'k2')); // over the limit
    // Before the sell-out: once sold out, the edge answers from memory without knowing keys (ADR 0020).
    note(RESERVE, await reserve(sku, { customerId: 'a', qty: 1 }, 'k1', STOREFRONT).then(() => reserve(sku, { customerId: 'a', qty: 2 }, 'k1'))); // key reused
    await reserve(sku, { customerId: 'b', qty: 1 }, 'k3'); // the last unit
    note(RESERVE, await reserve(sku, { customerId: 'c', qty: 1 }, 'k6')); // none left
    note(RESERVE, await reserve(sku, { customerId: 'c', qty: 0 }, 'k4'));
    note(RESERVE, await reserve(uniqueSku('nothing'), { customerId: 'c', qty: 1 }, 'k5'));
    note('GET /v1/skus/{sku}/reservations/{id}', await call('GET', `/v1/skus/${sku}/reservations/res_00000000000000000000000000?customerId=a`));
    note('DELETE /v1/skus/{sku}/reservations/{id}', await call('DELETE', `/v1/skus/${sku}/reservations/res_00000000000000000000000000?customerId=a`));
    note('GET /v1/admin/skus/{sku}/events', await call('GET', `/v1/admin/skus/${sku}/events`));
    note('PUT /v1/admin/skus/{sku}/stock', await call('PUT', `/v1/admin/skus/${sku}/stock`, { key: ADMIN, body: { onHand: 0 } }));
    note('GET /v1/skus/{sku}', await call('GET', `/v1/skus/${uniqueSku('nothing')}`));
    expect(seen.map(([, status, code]) => `${status} ${code}`)).toEqual([
      '409 customer_limit',
      '422 idempotency_key_reused',
      '409 insufficient_stock',
      '400 invalid_request',
      '404 sku_not_found',
      '404 reservation_not_found',
      '404 reservation_not_found',
      '403 forbidden',
      '409 below_committed',
      '404 sku_not_found',
    ]);
    for (const [route, status, code] of seen) expect(documented(ops.get(route)!, status), `${route} ${status}`).toContain(code);
  });
});
