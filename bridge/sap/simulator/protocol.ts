import { randomBytes } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { basicAuth } from 'hono/basic-auth';
import { getCookie } from 'hono/cookie';

/** SAP's realm; clients that look for it find it. */
export const REALM = 'SAP NetWeaver Application Server';
export const SESSION_COOKIE = 'SAP_SESSIONID_SIM_000';
/** Sessions remembered; the oldest is forgotten beyond this (its client fetches a new token on 403). */
const MAX_SESSIONS = 10_000;
const CHANGING = new Set(['POST', 'PUT', 'PATCH', 'MERGE', 'DELETE']);

/** Basic auth on every service call: 401 with SAP's realm and an OData error body otherwise. */
export function requireBasicAuth(user: string, password: string): MiddlewareHandler {
  return basicAuth({
    username: user,
    password,
    realm: REALM,
    invalidUserMessage: { error: { code: 'UNAUTHORIZED', message: { lang: 'en', value: 'Logon failed: user or password wrong' } } },
  });
}

/**
 * SAP Gateway's CSRF handshake: a GET or HEAD with `X-CSRF-Token: Fetch` answers a token and a
 * session cookie (whatever its status, so a client may fetch on any URL); a change needs that
 * token back with that cookie, else 403 with `x-csrf-token: Required` and nothing applied.
 * Tokens live in memory: a restart forgets them, as a new SAP session would.
 */
export function csrfHandshake(): MiddlewareHandler {
  const tokens = new Map<string, string>();
  return async (c, next) => {
    const session = getCookie(c, SESSION_COOKIE);
    if (CHANGING.has(c.req.method)) {
      const token = c.req.header('x-csrf-token');
      if (!session || !token || tokens.get(session) !== token) {
        return c.text('CSRF token validation failed', 403, { 'x-csrf-token': 'Required' });
      }
      return next();
    }
    await next();
    if ((c.req.header('x-csrf-token') ?? '').toLowerCase() !== 'fetch') return;
    const known = session ? tokens.get(session) : undefined;
    if (session && known) return void c.res.headers.set('x-csrf-token', known);
    const id = randomBytes(24).toString('base64url');
    const token = randomBytes(18).toString('base64');
    tokens.set(id, token);
    if (tokens.size > MAX_SESSIONS) tokens.delete(tokens.keys().next().value!);
    c.res.headers.set('x-csrf-token', token);
    c.res.headers.append('set-cookie', `${SESSION_COOKIE}=${id}; path=/; HttpOnly`);
  };
}
