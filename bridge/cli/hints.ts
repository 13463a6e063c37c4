import { UsageError } from './exit';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
export const isLoopback = (url: string): boolean => LOOPBACK.has(new URL(url).hostname);

/** `npm start`'s admin keys, one per component (scripts/dev-defaults.mjs): fine for the local system, a mistake against anything else. */
export const DEV_KEYS = { edgeAdminKey: 'dev-admin', bridgeAdminKey: 'dev-bridge-admin', wmsAdminKey: 'dev-wms-admin' } as const;
type KeyOption = keyof typeof DEV_KEYS;
/** The SAP simulator's (scripts/dev-defaults.mjs): its URL comes from WAREHOUSES, so it is checked where that is read. */
export const DEV_SAP_ADMIN_KEY = 'dev-sap-admin';

type UrlOption = 'edgeUrl' | 'bridgeAdminUrl' | 'wmsUrl';

const KEYS: readonly { key: KeyOption; url: UrlOption; flag: string; env: string }[] = [
  { key: 'edgeAdminKey', url: 'edgeUrl', flag: '--edge-admin-key', env: 'EDGE_ADMIN_KEY' },
  { key: 'bridgeAdminKey', url: 'bridgeAdminUrl', flag: '--bridge-admin-key', env: 'BRIDGE_ADMIN_KEY' },
  { key: 'wmsAdminKey', url: 'wmsUrl', flag: '--wms-admin-key', env: 'WMS_ADMIN_KEY' },
];

/**
 * A dev key is only a default for the local system: against a remote URL, a forgotten key
 * option would send the world's best-known key to production. Given explicitly, it goes.
 */
export function refuseDefaultKeysRemotely(options: Record<KeyOption | UrlOption, string>, sourceOf: (key: KeyOption) => string | undefined): void {
  const missing = KEYS.filter(({ key, url }) => sourceOf(key) === 'default' && options[key] === DEV_KEYS[key] && !isLoopback(options[url]));
  if (missing.length > 0) {
    const named = missing.map(({ url, flag, env }) => `${options[url]} (${flag} or ${env})`).join(', ');
    throw new UsageError(`no admin key given for ${named}: the default dev keys are only for a local system`);
  }
}

/** ADMIN_KEY was one key for every component; it is read no more, and silently ignoring it would hide why calls get 401. */
export function warnRetiredAdminKey(env: Record<string, string | undefined>): void {
  if (env.ADMIN_KEY) process.stderr.write('warning: ADMIN_KEY is ignored: each component has its own key (EDGE_ADMIN_KEY, BRIDGE_ADMIN_KEY, WMS_ADMIN_KEY)\n');
}

/** One line on what to try, after a failure's own message. */
export function hintFor(message: string): string | null {
  const url = /(https?:\/\/[^\s)]+)/.exec(message)?.[1];
  if (/unreachable|did not answer/.test(message)) {
    if (url && isLoopback(url)) return 'hint: is the system running? `npm start` runs the Worker, the bridge and the WMS simulator locally';
    return 'hint: check the address (--edge-url, --bridge-admin-url, --wms-url, or EDGE_URL, BRIDGE_ADMIN_URL, WMS_URL)';
  }
  if (/HTTP 401/.test(message)) return "hint: check that component's admin key (--edge-admin-key, --bridge-admin-key, --wms-admin-key, or EDGE_ADMIN_KEY, BRIDGE_ADMIN_KEY, WMS_ADMIN_KEY)";
  return null;
}
