import { env } from 'cloudflare:workers';
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { RETIRE_SETTLE_MS } from '../../durable-objects/Generations';
import { DELETES_PER_RUN, viewPrefix } from '../../durable-objects/generations/retirement';
import { signatureHeaders } from '../../src/contract/signature';
import { call } from '../support/api';

/**
 * A retired generation holds a key per SKU, more than one alarm run may delete (a Worker
 * invocation may perform at most 1,000 KV operations): the alarm deletes a bounded chunk per run,
 * keeps its cursor in storage and runs again at once; the generation is retired once its keys are gone.
 */

const KEYS = 1_200;
const registry = () => env.GENERATIONS.getByName('registry') as unknown as DurableObjectStub;

async function signed(path: string, body: unknown) {
  const raw = JSON.stringify(body);
  const headers = await signatureHeaders('test-internal-new', { method: 'POST', path, body: raw }, Date.now());
  return call('POST', path, { key: null, rawBody: raw, headers: { ...headers, 'content-type': 'application/json' } });
}

async function countKeys(prefix: string): Promise<number> {
  let count = 0;
  for (let cursor: string | undefined; ; ) {
    const page = await env.PROJECTIONS.list({ prefix, ...(cursor ? { cursor } : {}) });
    count += page.keys.length;
    if (page.list_complete) return count;
    cursor = page.cursor;
  }
}

/**
 * A generation retiring with KEYS views whose grace period is over. workerd's clock cannot be
 * moved: the switch is made with a long grace period, whose end is then written back to the past.
 */
async function retiringGeneration(rebuild: string): Promise<string> {
  const { active } = (await signed('/internal/projections/shadow', { rebuild })).json;
  expect((await signed('/internal/projections/switch', { graceSeconds: 3_600 })).status).toBe(200);
  for (let i = 0; i < KEYS; i += 100) {
    await Promise.all(Array.from({ length: 100 }, (_, j) => env.PROJECTIONS.put(`${viewPrefix(active)}SKU-${String(i + j).padStart(5, '0')}`, '{}')));
  }
  await runInDurableObject(registry(), (_: unknown, state) => {
    state.storage.sql.exec('UPDATE generations SET until = ? WHERE id = ?', Date.now() - RETIRE_SETTLE_MS - 1, active);
  });
  return active;
}

const roleOf = (generation: string) =>
  runInDurableObject(registry(), (_: unknown, state) => state.storage.sql.exec<{ role: string }>('SELECT role FROM generations WHERE id = ?', generation).one().role);

/**
 * One alarm run, as runDurableObjectAlarm does it, and then the alarm it armed taken back before
 * the runtime could run it (nothing awaits between the two but storage), so that the test, not the
 * runtime, runs the next chunk and can look at each run's result.
 */
const runOneChunk = () =>
  runInDurableObject(registry(), async (instance: DurableObject, state) => {
    await state.storage.deleteAlarm();
    await instance.alarm!();
    const next = await state.storage.getAlarm();
    await state.storage.deleteAlarm();
    return next;
  });

describe('retiring a generation in bounded chunks', () => {
  it('each alarm run deletes at most one chunk, re-arms at once, and retires the generation only when no key is left', async () => {
    const generation = await retiringGeneration('chunks');
    expect(await countKeys(viewPrefix(generation))).toBe(KEYS);

    const before = Date.now();
    const next = await runOneChunk();
    // Some keys deleted, the rest left for the next run, which is due at once; not retired yet.
    expect(await countKeys(viewPrefix(generation))).toBe(KEYS - DELETES_PER_RUN);
    expect(await roleOf(generation)).toBe('retiring');
    expect(next).not.toBeNull();
    expect(next!).toBeLessThanOrEqual(Date.now());
    expect(next!).toBeGreaterThanOrEqual(before);

    let runs = 1;
    while ((await roleOf(generation)) !== 'retired') {
      await runOneChunk();
      if (++runs > 10) throw new Error('not retired after 10 runs');
    }
    expect(runs).toBe(Math.ceil(KEYS / DELETES_PER_RUN));
    expect(await countKeys(viewPrefix(generation))).toBe(0);
  });

  it('the runtime runs the following chunks by itself once the first alarm ran', async () => {
    const generation = await retiringGeneration('runtime');
    expect(await runDurableObjectAlarm(registry())).toBe(true);
    // Left by the first run (unless the runtime already ran the next one in between).
    expect(await countKeys(viewPrefix(generation))).toBeLessThanOrEqual(KEYS - DELETES_PER_RUN);
    const deadline = Date.now() + 20_000;
    while ((await roleOf(generation)) !== 'retired' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await roleOf(generation)).toBe('retired');
    expect(await countKeys(viewPrefix(generation))).toBe(0);
  });
});
