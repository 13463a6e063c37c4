import { env, exports } from 'cloudflare:workers';
import { viewKey, type StoredView } from '../../durable-objects/sku/projection';
import { signatureHeaders } from '../../src/contract/signature';

export const STOREFRONT = 'test-storefront';
export const STOREFRONT_2 = 'test-storefront-2';
export const ADMIN = 'test-admin';

type Options = { key?: string | null; body?: unknown; rawBody?: string; headers?: Record<string, string> };

/** Drives the real Worker (routes, auth, Durable Objects) through its fetch handler in workerd. */
export async function call(method: string, path: string, options: Options = {}) {
  const headers: Record<string, string> = { ...options.headers };
  const key = options.key === undefined ? STOREFRONT : options.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await exports.default.fetch(new Request(`https://edge.test${path}`, { method, headers, body }));
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: text ? (JSON.parse(text)) : null };
}

/** A call as the bridge signs it (the current secret), without a bearer key. */
export async function signed(method: 'GET' | 'POST', path: string, body?: unknown) {
  const raw = body === undefined ? '' : JSON.stringify(body);
  const headers = await signatureHeaders('test-internal-new', { method, path, body: raw }, Date.now());
  return call(method, path, { key: null, ...(body === undefined ? {} : { rawBody: raw }), headers: { ...headers, 'content-type': 'application/json' } });
}

let counter = 0;
/** Storage is shared by the tests of a file: every test names its own SKU. */
export const uniqueSku = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

export async function createSku(sku: string, onHand: number, limitPerCustomer?: number) {
  const res = await call('PUT', `/v1/admin/skus/${sku}/stock`, {
    key: ADMIN,
    body: limitPerCustomer === undefined ? { onHand } : { onHand, limitPerCustomer },
  });
  if (res.status !== 200) throw new Error(`could not create ${sku}: ${res.status} ${res.text}`);
  return res.json;
}

export function reserve(sku: string, body: unknown, idempotencyKey: string, key: string = STOREFRONT) {
  return call('POST', `/v1/skus/${sku}/reservations`, { key, body, headers: { 'idempotency-key': idempotencyKey } });
}

export async function eventsOf(sku: string) {
  const events: any[] = [];
  let after = 0;
  for (;;) {
    const res = await call('GET', `/v1/admin/skus/${sku}/events?after=${after}&limit=1000`, { key: ADMIN });
    if (res.status !== 200) throw new Error(`events of ${sku}: ${res.status} ${res.text}`);
    events.push(...res.json.events);
    if (res.json.nextAfter === null) return events;
    after = res.json.nextAfter;
  }
}

/** The SKU's view in KV (generation g1) once its object wrote `version`, or the last seen after 10 s. */
export async function storedViewAt(sku: string, version: number): Promise<StoredView | null> {
  const deadline = Date.now() + 10_000;
  let stored: StoredView | null = null;
  while (Date.now() < deadline && stored?.version !== version) {
    stored = await env.PROJECTIONS.get<StoredView>(viewKey('g1', sku), 'json');
    await new Promise((r) => setTimeout(r, 25));
  }
  return stored;
}
