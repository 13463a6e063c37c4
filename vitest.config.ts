import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: { name: 'unit', include: ['test/unit/**/*.spec.ts'], environment: 'node' },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: {
                STOREFRONT_KEYS: 'test-storefront,test-storefront-2',
                ADMIN_KEYS: 'test-admin',
              },
            },
          }),
        ],
        test: { name: 'workers', include: ['test/workers/**/*.spec.ts'], testTimeout: 60_000 },
      },
    ],
  },
});
