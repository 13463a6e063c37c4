import type { z } from 'zod';
import { parseSecrets } from '../../src/contract/signature';
import { isLoopbackHost, weakSecrets } from './secrets';

/** The settings that decide who can reach the bridge, and with what. */
export type ExposureEnv = {
  BRIDGE_HOST: string;
  BRIDGE_PORT: number;
  BRIDGE_ADMIN_HOST: string;
  BRIDGE_ADMIN_PORT: number;
  BRIDGE_TLS_CERT?: string | undefined;
  BRIDGE_TLS_KEY?: string | undefined;
  BRIDGE_BEHIND_TLS_PROXY: boolean;
  INTERNAL_SECRET: string;
  BRIDGE_ADMIN_KEYS: readonly string[];
  EDGE_URL: string;
};

const PLAIN_HTTP_FIX =
  'set BRIDGE_TLS_CERT and BRIDGE_TLS_KEY (PEM files) to serve HTTPS, or BRIDGE_BEHIND_TLS_PROXY=true if a TLS-terminating proxy is the only way in, or bind 127.0.0.1';

/**
 * A listener beyond loopback speaks TLS (or sits behind a proxy that does), and the secrets of
 * whatever is reachable from beyond loopback are neither published nor short: ADR 0003.
 */
export function checkExposure(env: ExposureEnv, ctx: z.RefinementCtx): void {
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  if (Boolean(env.BRIDGE_TLS_CERT) !== Boolean(env.BRIDGE_TLS_KEY)) {
    issue(env.BRIDGE_TLS_CERT ? 'BRIDGE_TLS_KEY' : 'BRIDGE_TLS_CERT', 'HTTPS needs both BRIDGE_TLS_CERT and BRIDGE_TLS_KEY (PEM files)');
  }
  if (env.BRIDGE_PORT !== 0 && env.BRIDGE_PORT === env.BRIDGE_ADMIN_PORT) {
    issue('BRIDGE_ADMIN_PORT', `the admin listener needs a port of its own, not BRIDGE_PORT's ${env.BRIDGE_PORT} (default 8798)`);
  }
  const tls = Boolean(env.BRIDGE_TLS_CERT && env.BRIDGE_TLS_KEY) || env.BRIDGE_BEHIND_TLS_PROXY;
  for (const setting of ['BRIDGE_HOST', 'BRIDGE_ADMIN_HOST'] as const) {
    if (!tls && !isLoopbackHost(env[setting])) issue(setting, `${env[setting]} is reachable beyond this machine over plain HTTP: ${PLAIN_HTTP_FIX}`);
  }
  // Behind a proxy, a loopback bind is still reached from outside.
  const publicExposed = !isLoopbackHost(env.BRIDGE_HOST) || env.BRIDGE_BEHIND_TLS_PROXY;
  const edgeRemote = !isLoopbackHost(new URL(env.EDGE_URL).hostname);
  if (publicExposed || edgeRemote) {
    const where = publicExposed ? `with ingest reachable beyond loopback (BRIDGE_HOST=${env.BRIDGE_HOST})` : `with the Worker beyond loopback (EDGE_URL)`;
    for (const message of weakSecrets('INTERNAL_SECRET', parseSecrets(env.INTERNAL_SECRET), where)) issue('INTERNAL_SECRET', message);
  }
  if (!isLoopbackHost(env.BRIDGE_ADMIN_HOST) || env.BRIDGE_BEHIND_TLS_PROXY) {
    const where = `with the admin API reachable beyond loopback (BRIDGE_ADMIN_HOST=${env.BRIDGE_ADMIN_HOST})`;
    for (const message of weakSecrets('BRIDGE_ADMIN_KEYS', env.BRIDGE_ADMIN_KEYS, where)) issue('BRIDGE_ADMIN_KEYS', message);
  }
}
