import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (key: string) => createHash('sha256').update(key).digest();

/**
 * Whether an `Authorization` header names one of the admin keys: `Bearer <key>`, compared by
 * digest in constant time, so the time taken says nothing about how much of a guess matched.
 * No keys configured: everyone is refused.
 */
export function adminKeyCheck(adminKeys: readonly string[]): (authorization: string | undefined) => boolean {
  const keys = adminKeys.map(digest);
  return (authorization) => {
    const presented = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
    return presented !== undefined && keys.some((k) => timingSafeEqual(k, digest(presented)));
  };
}
