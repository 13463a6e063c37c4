import { env } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import { GENERATIONS_TTL_MS, REGISTRY, REGISTRY_TIMEOUT_MS } from '../../durable-objects/generations/registry';
import { call, createSku, uniqueSku } from '../support/api';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const registry = () => env.GENERATIONS.getByName(REGISTRY);

/**
 * The real registry object made unresponsive: it holds its input gate (as an overloaded or stuck
 * object would), so every call to it waits. Nothing is mocked: the Worker's read path meets a
 * registry that does not answer.
 */
function stallRegistry(ms: number): Promise<void> {
  let stalled!: () => void;
  const started = new Promise<void>((resolve) => (stalled = resolve));
  void runInDurableObject(registry() as unknown as DurableObjectStub, (_: unknown, state) =>
    state.blockConcurrencyWhile(() => {
      stalled();
      return sleep(ms);
    }),
  );
  return started;
}

describe('SKU reads while the generations registry does not answer', () => {
  it('are served from the projection of the generation last known, with a warning, without waiting for the registry each time', async () => {
    const sku = uniqueSku('stale');
    await createSku(sku, 7);
    const deadline = Date.now() + 10_000;
    let read = await call('GET', `/v1/skus/${sku}`);
    while (read.json.source !== 'projection' && Date.now() < deadline) {
      await sleep(50);
      read = await call('GET', `/v1/skus/${sku}`);
    }
    expect(read.json).toMatchObject({ source: 'projection', available: 7 });

    const warn = vi.spyOn(console, 'warn');
    try {
      await stallRegistry(4_000);
      // The registry really does not answer now.
      expect(await Promise.race([registry().current().then(() => 'answered'), sleep(300).then(() => 'silent')])).toBe('silent');
      // What this isolate knows is older than it trusts without asking.
      await sleep(GENERATIONS_TTL_MS + 100);

      const started = Date.now();
      const stale = await call('GET', `/v1/skus/${sku}`);
      expect(stale.status).toBe(200);
      expect(stale.json).toMatchObject({ sku, source: 'projection', available: 7, version: 1 });
      expect(Date.now() - started).toBeLessThan(REGISTRY_TIMEOUT_MS + 700);
      expect(warn.mock.calls.some(([line]) => String(line).includes('serving the generations last known'))).toBe(true);

      // Within the next second the copy is served at once: the stalled registry is not asked again.
      const again = Date.now();
      expect((await call('GET', `/v1/skus/${sku}`)).json.source).toBe('projection');
      expect(Date.now() - again).toBeLessThan(REGISTRY_TIMEOUT_MS);
    } finally {
      warn.mockRestore();
    }
    // Once the registry answers again, reads go on as before.
    await sleep(3_000);
    expect(await registry().current()).toMatchObject({ active: 'g1' });
    expect((await call('GET', `/v1/skus/${sku}`)).json).toMatchObject({ source: 'projection', available: 7 });
  });
});
