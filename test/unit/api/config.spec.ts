import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ADMISSION_MAX_WAIT_MS, DEFAULT_FAILOVER_AFTER_MS, DEFAULT_RESERVE_GROUP_MAX, DEFAULT_SHARD_REGIONS, DEFAULT_SOLD_OUT_EDGE_MS, workerConfig, WorkerConfigSchema } from '../../../src/config';
import { DEFAULT_TTL_SECONDS, MAX_TTL_SECONDS } from '../../../src/domain/sku';

describe('the Worker\'s configuration, parsed once from its vars', () => {
  it('unset vars read as their defaults', () => {
    expect(workerConfig({})).toEqual({
      DEFAULT_TTL_SECONDS,
      DEFAULT_LIMIT_PER_CUSTOMER: null,
      ADMISSION_MAX_WAIT_MS: DEFAULT_ADMISSION_MAX_WAIT_MS,
      RESERVE_GROUP_MAX: DEFAULT_RESERVE_GROUP_MAX,
      SOLD_OUT_FAST_PATH: false,
      SOLD_OUT_FRESH_MS: 2_000,
      SOLD_OUT_EDGE_MS: DEFAULT_SOLD_OUT_EDGE_MS,
      RELAY_MAX_BACKOFF_SECONDS: 30,
      SHARD_REGIONS: DEFAULT_SHARD_REGIONS,
      FAULT_INJECTION: false,
      FAILOVER_AFTER_MS: DEFAULT_FAILOVER_AFTER_MS,
      STOREFRONT_KEYS: [],
      ADMIN_KEYS: [],
      INTERNAL_SECRET: [],
      BRIDGE_URL: { ok: true, urls: [] },
    });
  });

  it('reads every var as wrangler.toml and the secrets give it', () => {
    const config = workerConfig({
      DEFAULT_TTL_SECONDS: '120',
      DEFAULT_LIMIT_PER_CUSTOMER: '4',
      ADMISSION_MAX_WAIT_MS: '0',
      RESERVE_GROUP_MAX: '32',
      SOLD_OUT_FAST_PATH: 'on',
      SOLD_OUT_FRESH_MS: '500',
      SOLD_OUT_EDGE_MS: '0',
      RELAY_MAX_BACKOFF_SECONDS: '5',
      SHARD_REGIONS: ' weur, apac ',
      STOREFRONT_KEYS: ' a, b ,,',
      ADMIN_KEYS: 'root',
      INTERNAL_SECRET: 'new,old',
      BRIDGE_URL: 'https://bridge-1.example, https://bridge-2.example',
    });
    expect(config).toMatchObject({
      DEFAULT_TTL_SECONDS: 120,
      DEFAULT_LIMIT_PER_CUSTOMER: 4,
      ADMISSION_MAX_WAIT_MS: 0,
      RESERVE_GROUP_MAX: 32,
      SOLD_OUT_FAST_PATH: true,
      SOLD_OUT_FRESH_MS: 500,
      SOLD_OUT_EDGE_MS: 0,
      RELAY_MAX_BACKOFF_SECONDS: 5,
      SHARD_REGIONS: ['weur', 'apac'],
      STOREFRONT_KEYS: ['a', 'b'],
      ADMIN_KEYS: ['root'],
      INTERNAL_SECRET: ['new', 'old'],
      BRIDGE_URL: { ok: true, urls: ['https://bridge-1.example', 'https://bridge-2.example'] },
    });
  });

  it.each([
    ['DEFAULT_TTL_SECONDS', ['', '0', '1.5', 'abc', String(MAX_TTL_SECONDS + 1)], DEFAULT_TTL_SECONDS],
    ['ADMISSION_MAX_WAIT_MS', ['', ' ', '-5', 'not a number', 'Infinity'], DEFAULT_ADMISSION_MAX_WAIT_MS],
    ['RESERVE_GROUP_MAX', ['', '0', '2.5', '257', 'abc'], DEFAULT_RESERVE_GROUP_MAX],
    ['SOLD_OUT_FRESH_MS', ['', '0', 'abc'], 2_000],
    // Past a second a unit that came back could be refused longer than the edge promises (ADR 0020).
    ['SOLD_OUT_EDGE_MS', ['', '-1', '1001', 'abc'], DEFAULT_SOLD_OUT_EDGE_MS],
    ['RELAY_MAX_BACKOFF_SECONDS', ['', '0', 'abc'], 30],
    ['SHARD_REGIONS', ['', ' , ', 'us-east-1', 'enam,enam'], DEFAULT_SHARD_REGIONS],
    // 0, or anything not a limit: none (a new SKU is not limited by a typo).
    ['DEFAULT_LIMIT_PER_CUSTOMER', ['', '0', '-1', '2.5', 'abc', '10001'], null],
  ] as const)('a bad %s reads as its default: a var never takes the edge down', (name, values, fallback) => {
    for (const value of values) expect(WorkerConfigSchema.parse({ [name]: value })[name], JSON.stringify(value)).toEqual(fallback);
  });

  it('an invalid BRIDGE_URL is kept as its reason, not thrown', () => {
    const { BRIDGE_URL } = workerConfig({ BRIDGE_URL: 'ftp://nope' });
    expect(BRIDGE_URL.ok).toBe(false);
    expect(!BRIDGE_URL.ok && BRIDGE_URL.error).toMatch(/^BRIDGE_URL is invalid/);
  });

  it('parses an env once', () => {
    const env = { DEFAULT_TTL_SECONDS: '60' };
    expect(workerConfig(env)).toBe(workerConfig(env));
  });

  it('no module but src/config.ts reads a var from the env', () => {
    const root = resolve(import.meta.dirname, '..', '..', '..');
    const vars = Object.keys(WorkerConfigSchema.shape).join('|');
    const files = (dir: string): string[] =>
      readdirSync(join(root, dir)).flatMap((name) => (statSync(join(root, dir, name)).isDirectory() ? files(join(dir, name)) : name.endsWith('.ts') ? [join(dir, name)] : []));
    const readers = ['src', 'durable-objects'].flatMap(files).filter((file) => file !== join('src', 'config.ts') && new RegExp(`env\\.(${vars})\\b`).test(readFileSync(join(root, file), 'utf8')));
    expect(readers).toEqual([]);
  });
});
