import type { GlobalOptions } from './context';
import { UsageError } from './exit';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
export const isLoopback = (url: string): boolean => LOOPBACK.has(new URL(url).hostname);

/** `npm start`'s admin key: fine for the local system, a mistake against anything else. */
export const DEV_ADMIN_KEY = 'dev-admin';

/**
 * The dev key is only a default for the local system: against a remote URL, a forgotten
 * --admin-key would send the world's best-known key to production. Given explicitly, it goes.
 */
export function refuseDefaultKeyRemotely(options: GlobalOptions, keySource: string | undefined): void {
  if (keySource !== 'default' || options.adminKey !== DEV_ADMIN_KEY) return;
  const remote = [options.edgeUrl, options.bridgeUrl, options.wmsUrl].filter((url) => !isLoopback(url));
  if (remote.length > 0) {
    throw new UsageError(`no admin key given for ${remote.join(', ')}: pass --admin-key (or set ADMIN_KEY); the default dev key is only for a local system`);
  }
}

/** One line on what to try, after a failure's own message. */
export function hintFor(message: string): string | null {
  const url = /(https?:\/\/[^\s)]+)/.exec(message)?.[1];
  if (/unreachable|did not answer/.test(message)) {
    if (url && isLoopback(url)) return 'hint: is the system running? `npm start` runs the Worker, the bridge and the WMS simulator locally';
    return 'hint: check the address (--edge-url, --bridge-url, --wms-url, or EDGE_URL, BRIDGE_URL, WMS_URL)';
  }
  if (/HTTP 401/.test(message)) return 'hint: check the admin key (--admin-key or ADMIN_KEY)';
  return null;
}
