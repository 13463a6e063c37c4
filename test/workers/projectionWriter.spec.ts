import { env } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import { initialSkuState, skuCounters, type SkuState } from '../../src/domain/sku';
import type { GenerationsView } from '../../durable-objects/Generations';
import { viewKey, type StoredView } from '../../durable-objects/sku/projection';
import { ProjectionWriter } from '../../durable-objects/sku/projectionWriter';
import { uniqueSku } from '../support/api';

/**
 * The SKU object's KV view writer on its own: a real object's storage (its `projection_writes`),
 * the real KV namespace, and counters and a registry the test sets.
 */

type Setup = { sku: string; state: SkuState; writer: ProjectionWriter; sql: SqlStorage };

function withWriter(
  generations: () => Promise<GenerationsView>,
  body: (setup: Setup) => Promise<void>,
  kv: KVNamespace = env.PROJECTIONS,
): Promise<void> {
  const sku = uniqueSku('writer');
  const stub = env.SKU.getByName(sku) as unknown as DurableObjectStub;
  return runInDurableObject(stub, async (_: unknown, ctx) => {
    const state: SkuState = { ...initialSkuState(), sku, version: 3, onHand: 10, reserved: 2 };
    const sql = ctx.storage.sql;
    const writer = new ProjectionWriter({ sql, kv, generations, state: () => state });
    await body({ sku, state, writer, sql });
  });
}

const live = (active: string, shadow: string | null = null) => async (): Promise<GenerationsView> => ({ active, shadow, retiring: [] });
const read = (generation: string, sku: string) => env.PROJECTIONS.get<StoredView>(viewKey(generation, sku), 'json');
const gen = () => `g-${crypto.randomUUID().slice(0, 8)}`;

describe('the KV projection writer', () => {
  it('writes the newest view to every live generation at once, then waits a second before the next', async () => {
    const [active, shadow] = [gen(), gen()];
    await withWriter(live(active, shadow), async ({ sku, state, writer }) => {
      // Before the registry was first asked, a write is due at once.
      const before = Date.now();
      expect(writer.dueAt(before)).toBe(before);
      expect(await writer.write()).toEqual({ kind: 'written' });
      for (const generation of [active, shadow]) {
        expect(await read(generation, sku)).toMatchObject({ version: 3, onHand: 10, reserved: 2, available: 8, seq: 1 });
      }
      expect(writer.dueAt(Date.now())).toBeNull();

      state.version = 4;
      state.reserved = 3;
      const writtenAt = (await read(active, sku))!.writtenAt;
      expect(writer.dueAt(Date.now())).toBe(Math.max(Date.now(), writtenAt + 1_000));
      const second = await writer.write();
      // Within the second the key keeps its view; past it (a slow machine), the next one lands.
      if (second.kind === 'deferred') {
        expect(second.at).toBe(writtenAt + 1_000);
        expect(await read(active, sku)).toMatchObject({ version: 3, seq: 1 });
      } else {
        expect(Date.now()).toBeGreaterThanOrEqual(writtenAt + 1_000);
        expect(await read(active, sku)).toMatchObject({ version: 4, seq: 2 });
      }
    });
  });

  it('a registry that does not answer defers the views and retries after a pause, writing nothing', async () => {
    const failing = vi.fn(async (): Promise<GenerationsView> => {
      throw new Error('registry down');
    });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    await withWriter(failing, async ({ writer, sql }) => {
      const now = Date.now();
      const written = await writer.write();
      expect(written).toMatchObject({ kind: 'deferred' });
      expect(written.kind === 'deferred' && written.at).toBeGreaterThanOrEqual(now + 5_000);
      expect(writer.dueAt(Date.now())).toBeGreaterThanOrEqual(now + 5_000);
      expect(sql.exec('SELECT * FROM projection_writes').toArray()).toEqual([]);
    });
    expect(warn.mock.calls.some(([line]) => String(line).includes('generations registry unavailable'))).toBe(true);
    warn.mockRestore();
  });

  it('a failed KV write is not recorded and is retried after a pause, not in a hot loop', async () => {
    const refusing = { put: () => Promise.reject(new Error('KV 429')) } as unknown as KVNamespace;
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    await withWriter(live(gen()), async ({ writer, sql }) => {
      const now = Date.now();
      expect(await writer.write()).toMatchObject({ kind: 'deferred' });
      expect(sql.exec('SELECT * FROM projection_writes').toArray()).toEqual([]);
      expect(writer.dueAt(Date.now())).toBeGreaterThanOrEqual(now + 5_000);
    }, refusing);
    warn.mockRestore();
  });

  it("a rebuild's view: stale when the key holds as much, refused when ahead of the object, deferred for a generation not live yet", async () => {
    const active = gen();
    await withWriter(live(active), async ({ state, writer }) => {
      const wake = vi.fn(async () => {});
      const at = (version: number) => ({ ...skuCounters(state), version });
      expect(await writer.projectInto(active, at(3), wake)).toEqual({ ok: true, value: { result: 'written' } });
      expect(await writer.projectInto(active, at(2), wake)).toEqual({ ok: true, value: { result: 'stale' } });
      expect(await writer.projectInto(active, at(9), wake)).toMatchObject({ ok: false, error: { code: 'invalid_command' } });
      expect(await writer.projectInto(gen(), at(3), wake)).toEqual({ ok: true, value: { result: 'deferred' } });
    });
  });

  it('answers sku_not_found before the SKU has any event', async () => {
    await withWriter(live(gen()), async ({ state, writer }) => {
      state.version = 0;
      expect(await writer.projectInto('g1', skuCounters(state), async () => {})).toEqual({ ok: false, error: { code: 'sku_not_found' } });
    });
  });
});
