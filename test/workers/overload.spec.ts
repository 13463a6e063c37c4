import { describe, expect, it } from 'vitest';
import { RUNTIME_RETRY_AFTER_SECONDS } from '../../src/api/overload';
import { signatureHeaders } from '../../src/contract/signature';
import { ADMIN, call } from '../support/api';
import { edgeWith, type Edge } from './edgeWith';

/** What the runtime throws from a call to an object it cannot get the call through to. */
const overloaded = () => Object.assign(new Error('Durable Object is overloaded. Too many requests queued.'), { overloaded: true });
const disconnected = () => Object.assign(new Error('Network connection lost.'), { retryable: true, remote: true });
const bug = () => new Error('a bug');

/** A namespace whose every call fails as `fail` says, the way the runtime fails a stub's RPC call. */
function failing(fail: () => unknown) {
  const stub = new Proxy({}, { get: (_, method) => (method === 'then' ? undefined : async () => Promise.reject(fail())) });
  return { getByName: () => stub, get: () => stub, idFromName: () => ({}) } as unknown as DurableObjectNamespace<any>;
}

const edgeFailing = (fail: () => unknown) => edgeWith({ SKU: failing(fail), CHECKOUT: failing(fail), GENERATIONS: failing(fail) });

const SKU = 'SNEAKER-42';
const RES = 'res_4k2m9q0c7f1h3j5n8p0r2t4v6x';
const CHK = `chk_${'0'.repeat(32)}`;
const key = { 'idempotency-key': 'k-1' };

async function signed(edge: Edge, method: string, path: string, body?: unknown) {
  const raw = body === undefined ? '' : JSON.stringify(body);
  return edge(method, path, { key: null, body, headers: await signatureHeaders('test-internal-new', { method, path, body: raw }, Date.now()) });
}

/** Every route that calls a Durable Object (a SKU, a checkout coordinator or the generations registry). */
const ROUTES: [string, (edge: Edge) => ReturnType<Edge>][] = [
  ['reserve', (e) => e('POST', `/v1/skus/${SKU}/reservations`, { body: { customerId: 'alice', qty: 1 }, headers: key })],
  ['consistent read', (e) => e('GET', `/v1/skus/${SKU}?consistent=true`)],
  ['reservation read', (e) => e('GET', `/v1/skus/${SKU}/reservations/${RES}?customerId=alice`)],
  ['complete', (e) => e('POST', `/v1/skus/${SKU}/reservations/${RES}/complete`, { body: { customerId: 'alice' } })],
  ['cancel', (e) => e('DELETE', `/v1/skus/${SKU}/reservations/${RES}?customerId=alice`)],
  ['checkout', (e) => e('POST', '/v1/checkouts', { body: { customerId: 'alice', lines: [{ sku: SKU, qty: 1 }] }, headers: key })],
  ['checkout read', (e) => e('GET', `/v1/checkouts/${CHK}?customerId=alice`)],
  ['checkout complete', (e) => e('POST', `/v1/checkouts/${CHK}/complete`, { body: { customerId: 'alice' } })],
  ['checkout cancel', (e) => e('DELETE', `/v1/checkouts/${CHK}?customerId=alice`)],
  ['admin stock', (e) => e('PUT', `/v1/admin/skus/${SKU}/stock`, { key: ADMIN, body: { onHand: 5 } })],
  ['admin receipt', (e) => e('POST', `/v1/admin/skus/${SKU}/receipts`, { key: ADMIN, body: { qty: 5 } })],
  ['admin release', (e) => e('POST', `/v1/admin/skus/${SKU}/reservations/${RES}/release`, { key: ADMIN, body: {} })],
  ['admin events', (e) => e('GET', `/v1/admin/skus/${SKU}/events?after=0&limit=10`, { key: ADMIN })],
  ['admin relay', (e) => e('GET', `/v1/admin/skus/${SKU}/relay`, { key: ADMIN })],
  ['internal events', (e) => signed(e, 'GET', `/internal/skus/${SKU}/events`)],
  ['internal allocation', (e) => signed(e, 'POST', `/internal/skus/${SKU}/reservations/${RES}/allocation`, { outcome: 'confirmed', allocationId: 'a-1' })],
  ['internal generations', (e) => signed(e, 'GET', '/internal/projections')],
];

describe('a Durable Object the runtime reports overloaded or unreachable', () => {
  it.each(ROUTES)('%s: 503 overloaded with Retry-After, not 500', async (_, send) => {
    for (const fail of [overloaded, disconnected]) {
      const res = await send(edgeFailing(fail));
      expect(res.status).toBe(503);
      // Spread per request over [s, 2s]; the message says what the header says.
      const told = Number(res.headers.get('retry-after'));
      expect(told).toBeGreaterThanOrEqual(RUNTIME_RETRY_AFTER_SECONDS);
      expect(told).toBeLessThanOrEqual(2 * RUNTIME_RETRY_AFTER_SECONDS);
      expect(Number.isInteger(told)).toBe(true);
      expect(res.json).toEqual({
        error: { code: 'overloaded', message: `too busy to take this request now; retry in ${told} s (with the same Idempotency-Key)` },
      });
    }
  });

  it.each(ROUTES)('%s: a genuine bug stays 500 internal, without Retry-After', async (_, send) => {
    const res = await send(edgeFailing(bug));
    expect(res.status).toBe(500);
    expect(res.headers.get('retry-after')).toBeNull();
    expect(res.json).toEqual({ error: { code: 'internal', message: 'internal error' } });
  });
});

describe('the OpenAPI document', () => {
  it('lists 503 with Retry-After for every route (each one calls a Durable Object)', async () => {
    const doc = (await call('GET', '/openapi.json', { key: null })).json;
    const operations = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, response: op.responses['503'] })),
    );
    expect(operations.length).toBeGreaterThan(10);
    for (const { route, response } of operations) {
      expect(response?.headers?.['Retry-After']?.schema, route).toEqual({ type: 'integer', minimum: 1 });
    }
  });
});
