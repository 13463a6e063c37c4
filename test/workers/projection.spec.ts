import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { viewKey, type StoredView } from '../../durable-objects/sku/projection';
import { call, createSku, reserve, uniqueSku } from '../support/api';

const until = async <T>(what: string, probe: () => Promise<T | null>, timeoutMs = 10_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

const stored = (sku: string) => env.PROJECTIONS.get<StoredView>(viewKey('g1', sku), 'json');

describe('SKU read model in KV', () => {
  it('GET answers from the projection once written, equal to the object’s state, with a short private cache', async () => {
    const sku = uniqueSku('proj');
    await createSku(sku, 10);
    for (let i = 0; i < 3; i++) await reserve(sku, { customerId: `c${i}`, qty: 1 }, `k${i}`);
    const view = await until('the projection of version 4', async () => {
      const res = await call('GET', `/v1/skus/${sku}`);
      return res.json.source === 'projection' && res.json.version === 4 ? res : null;
    });
    const primary = await call('GET', `/v1/skus/${sku}?consistent=true`);
    expect(view.json).toEqual({ ...primary.json, source: 'projection' });
    expect(view.headers.get('cache-control')).toBe('private, max-age=1');
    expect(primary.headers.get('cache-control')).toBe('no-store');
  });

  it('without a view yet the object answers; an unknown SKU is 404', async () => {
    const sku = uniqueSku('proj');
    expect((await call('GET', `/v1/skus/${sku}`)).json.error.code).toBe('sku_not_found');
    await createSku(sku, 3);
    const first = await call('GET', `/v1/skus/${sku}`);
    expect(first.status).toBe(200);
    expect(['primary', 'projection']).toContain(first.json.source);
  });

  it('a burst of reservations on one SKU: at most one KV write per second, versions never go back, the last version lands', async () => {
    const sku = uniqueSku('burst');
    await createSku(sku, 100_000);
    const seen: StoredView[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const view = await stored(sku);
        if (view && view.seq !== seen.at(-1)?.seq) seen.push(view);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const started = Date.now();
    // 25 buyers at a time, as fast as the object answers them: the alarm that writes KV interleaves.
    let next = 0;
    await Promise.all(
      Array.from({ length: 25 }, async () => {
        while (next < 1000) {
          const i = next++;
          await reserve(sku, { customerId: `b${i}`, qty: 1 }, `b${i}`);
        }
      }),
    );
    const elapsed = Date.now() - started;
    const last = await until('the last version in KV', async () => ((await stored(sku))?.version === 1001 ? true : null), 15_000);
    polling = false;
    await poller;
    const final = (await stored(sku))!;
    console.info(`1,000 reservations in ${elapsed} ms (${Math.round(1000 / (elapsed / 1000))}/s): ${final.seq} KV writes, ${seen.length} observed`);

    expect(last).toBe(true);
    expect(final).toMatchObject({ version: 1001, reserved: 1000, available: 99_000 });
    for (let i = 1; i < seen.length; i++) {
      const [a, b] = [seen[i - 1]!, seen[i]!];
      expect(b.seq).toBeGreaterThan(a.seq);
      expect(b.version).toBeGreaterThanOrEqual(a.version);
      // Every write between two observations was at least a second after the one before.
      expect(b.writtenAt - a.writtenAt).toBeGreaterThanOrEqual(1000 * (b.seq - a.seq));
    }
    expect(final.seq).toBeLessThanOrEqual(Math.ceil((final.writtenAt - started) / 1000) + 1);
    // The burst outlasted a second, so coalescing, not idleness, is what bounded the writes.
    expect(final.seq).toBeGreaterThanOrEqual(2);
    expect(seen.length).toBeGreaterThanOrEqual(2);
  });
});
