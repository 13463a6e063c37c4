import { createMiddleware } from 'hono/factory';
import { workerConfig } from '../config';
import type { Env } from '../env';
import { errorResponse } from './errors';

export type Role = 'storefront' | 'admin';
export type Principal = { role: Role; owner: string };
/** A verified internal call: its signature id must still pass the replay guard of the SKU it names. */
export type InternalCall = { signatureId: string; expiresAt: number };
export type AppEnv = { Bindings: Env; Variables: { principal: Principal; internal: InternalCall } };

type KeyTable = Map<string, Role>;
let cached: { source: string; table: Promise<KeyTable> } | null = null;

/**
 * Keys are compared by their SHA-256 digests, so lookup time says nothing about how much of a
 * guess matched. The digest prefix also names the key's owner for idempotency scopes.
 */
/** The configured keys as one string: the caches below are dropped when it changes. */
const keySource = (env: Env): string => {
  const { STOREFRONT_KEYS, ADMIN_KEYS } = workerConfig(env);
  return `${STOREFRONT_KEYS.join(',')}\n${ADMIN_KEYS.join(',')}`;
};

async function keyTable(env: Env): Promise<KeyTable> {
  const source = keySource(env);
  if (cached?.source !== source) {
    const { STOREFRONT_KEYS, ADMIN_KEYS } = workerConfig(env);
    const entries = async (keys: string[], role: Role) => Promise.all(keys.map(async (key) => [await digest(key), role] as const));
    const table = Promise.all([entries(STOREFRONT_KEYS, 'storefront'), entries(ADMIN_KEYS, 'admin')]).then(
      ([storefront, admin]) => new Map<string, Role>([...storefront, ...admin]),
    );
    cached = { source, table };
  }
  return cached.table;
}

async function digest(text: string): Promise<string> {
  const bytes = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Keys this isolate has already verified, so a storefront's key is hashed once, not on every
 * request (hashing was 5% of a reservation's CPU in `npm run bench:profile`). Only keys found in
 * the table enter it, so it holds at most the configured keys; a guess always takes the digest
 * path. It is dropped with the key table when the configured keys change.
 */
let verified: { source: string; principals: Map<string, Principal> } | null = null;

async function principalOf(env: Env, key: string): Promise<Principal | null> {
  const source = keySource(env);
  if (verified?.source !== source) verified = { source, principals: new Map() };
  const known = verified.principals.get(key);
  if (known) return known;
  const hash = await digest(key);
  const role = (await keyTable(env)).get(hash);
  if (!role) return null;
  const principal: Principal = { role, owner: hash.slice(0, 16) };
  if (verified.source === source) verified.principals.set(key, principal);
  return principal;
}

/** Admin keys may do everything a storefront key may; storefront keys never reach admin routes. */
export const requireRole = (role: Role) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer ([\x21-\x7e]{1,512})$/.exec(header);
    if (!match) return errorResponse(c, { code: 'unauthorized' });
    const principal = await principalOf(c.env, match[1]!);
    if (!principal) return errorResponse(c, { code: 'unauthorized' });
    if (role === 'admin' && principal.role !== 'admin') return errorResponse(c, { code: 'forbidden' });
    c.set('principal', principal);
    await next();
  });

export { digest as sha256Hex };
