import { BRIDGE_ADMIN_KEY } from './processes';
import { STOREFRONT_KEY } from './worker';

export type JsonAnswer = { status: number; json: any };

/** The Worker's API as a test calls it: a bearer key (the storefront's unless named), JSON both ways. */
export const edgeCaller = (url: () => string) => (path: string, method = 'GET', body?: unknown, headers: Record<string, string> = {}, key = STOREFRONT_KEY): Promise<JsonAnswer> =>
  fetch(`${url()}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  }).then(async (r) => ({ status: r.status, json: (await r.json()) as any }));

/** A bridge's operator API (`/admin…`) with the e2e admin key. */
export const bridgeAdminCaller = (adminUrl: () => string) => (path: string, method = 'GET', body?: unknown): Promise<JsonAnswer> =>
  fetch(`${adminUrl()}/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${BRIDGE_ADMIN_KEY}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  }).then(async (r) => ({ status: r.status, json: (await r.json()) as any }));
