import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: { name: 'unit', include: ['test/unit/**/*.spec.ts'], environment: 'node' },
      },
      {
        test: {
          name: 'bridge',
          include: ['test/bridge/**/*.spec.ts'],
          environment: 'node',
          globalSetup: ['test/bridge/kafka.globalSetup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.spec.ts'],
          environment: 'node',
          // Each file runs a whole system (workerd, bridge, broker, WMS): one at a time on two cores.
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 240_000,
        },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: {
                STOREFRONT_KEYS: 'test-storefront,test-storefront-2',
                ADMIN_KEYS: 'test-admin',
                // Internal routes are tested signed; no bridge (whatever a local .dev.vars says), so outboxes only fill.
                INTERNAL_SECRET: 'test-internal-new,test-internal-old',
                BRIDGE_URL: '',
                // Shedding depends on how loaded the machine is (the projects run side by side):
                // off here, and set explicitly by the specs of admission control.
                ADMISSION_MAX_WAIT_MS: '0',
              },
              // The specs send bursts per customer (50 retries of one key, say) through one key:
              // wide limits here; the rate-limit spec swaps in STRICT, a real binding of 3 a minute.
              ratelimits: {
                RATE_LIMIT_CUSTOMER: { namespace_id: '2601', simple: { limit: 1_000, period: 10 } },
                RATE_LIMIT_KEY: { namespace_id: '2602', simple: { limit: 100_000, period: 10 } },
                RATE_LIMIT_STRICT: { namespace_id: '2699', simple: { limit: 3, period: 60 } },
              },
            },
          }),
        ],
        test: { name: 'workers', include: ['test/workers/**/*.spec.ts'], testTimeout: 60_000 },
      },
    ],
  },
});
