import { createTestHarness } from 'wrangler';
import type { SkuEvent } from '../../../src/domain/sku';

export const ADMIN_KEY = 'e2e-admin';
export const STOREFRONT_KEY = 'e2e-storefront';

type Outcome<T> = { ok: true; value: T } | { ok: false; error: { code: string } };
/** The SKU object's RPC methods these tests read, typed here since this runs in Node, not workerd. */
export type SkuStub = {
  events(sku: string, after: number, limit: number): Promise<Outcome<{ events: SkuEvent[]; lastVersion: number }>>;
  relayStatus(sku: string): Promise<Outcome<{ lastVersion: number; relayedVersion: number; pending: number; attempts: number }>>;
};
export type SkuNamespace = { getByName(name: string): SkuStub };

/** The real Worker bundle in workerd (wrangler's test harness), wired to a bridge by secrets. */
export async function startWorker(secrets: Record<string, string>) {
  // The test machine has no internet: skip Miniflare's fetch of the real `Request.cf` object.
  process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= 'false';
  const harness = createTestHarness({
    workers: [{ configPath: './wrangler.toml', secrets: { STOREFRONT_KEYS: STOREFRONT_KEY, ADMIN_KEYS: ADMIN_KEY, ...secrets } }],
  });
  const { url } = await harness.listen();
  const env = (await harness.getWorker().getEnv()) as { SKU: SkuNamespace };
  return { url: url.origin, env, close: () => harness.close() };
}
