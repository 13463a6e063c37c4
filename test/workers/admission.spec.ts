import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { ADMIN, call, createSku, eventsOf, reserve, uniqueSku } from '../support/api';
import { DEFAULT_ADMISSION_MAX_WAIT_MS } from '../../src/config';
import { edgeWith } from './edgeWith';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The shared test environment runs with admission off (its load varies); these specs set the production default. */
const BOUND_MS = DEFAULT_ADMISSION_MAX_WAIT_MS;
const bounded = edgeWith({ ADMISSION_MAX_WAIT_MS: String(BOUND_MS) });
const reserveBounded = (sku: string, body: unknown, key: string) =>
  bounded('POST', `/v1/skus/${sku}/reservations`, { body, headers: { 'idempotency-key': key } });

/**
 * The SKU object made busy for `ms`: it holds its input gate, as a long command or an alarm run
 * would, so every call sent meanwhile queues behind it. Resolves once the object is held.
 */
function holdObject(sku: string, ms: number): Promise<void> {
  let held!: () => void;
  const started = new Promise<void>((resolve) => (held = resolve));
  void runInDurableObject(env.SKU.getByName(sku) as unknown as DurableObjectStub, (_: unknown, state) =>
    state.blockConcurrencyWhile(() => {
      held();
      return sleep(ms);
    }),
  );
  return started;
}

const reservedIds = async (sku: string) => (await eventsOf(sku)).filter((e) => e.type === 'StockReserved').map((e) => e.data.reservationId as string);

/** A Retry-After is spread per request over [s, 2s] (src/api/overload.ts): one of these. */
const spread = (seconds: number) => Array.from({ length: seconds + 1 }, (_, i) => String(seconds + i));

const shed = (retryAfter: string) => ({
  status: 503,
  retryAfter,
  json: { error: { code: 'overloaded', message: `too busy to take this request now; retry in ${retryAfter} s (with the same Idempotency-Key)` } },
});

describe('admission control of a SKU object', () => {
  it('a command that queued past the bound is shed with 503 and Retry-After, appends nothing, and its retry under the same key is decided once', async () => {
    expect(BOUND_MS).toBeGreaterThan(0);
    const sku = uniqueSku('shed');
    await createSku(sku, 10);
    const before = await eventsOf(sku);

    await holdObject(sku, 2 * BOUND_MS);
    const queued = await reserveBounded(sku, { customerId: 'alice', qty: 2 }, 'order-1');
    const told = queued.headers.get('retry-after') ?? '';
    expect(spread(Math.ceil(BOUND_MS / 1000))).toContain(told);
    // The message says the same seconds as the header.
    expect({ status: queued.status, retryAfter: told, json: queued.json }).toEqual(shed(told));
    // Nothing was decided: no event, and no idempotency record that a retry would replay.
    expect(await eventsOf(sku)).toEqual(before);

    const retried = await reserveBounded(sku, { customerId: 'alice', qty: 2 }, 'order-1');
    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
    const again = await reserveBounded(sku, { customerId: 'alice', qty: 2 }, 'order-1');
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.text).toBe(retried.text);
    expect(await reservedIds(sku)).toEqual([retried.json.reservationId]);
  });

  it('a request decided before answers its stored outcome even when it queued past the bound now (a checkout step must learn its hold, not be shed)', async () => {
    const sku = uniqueSku('shed-replay');
    await createSku(sku, 10);
    const req = { sku, customerId: 'cy', qty: 1, ttlSeconds: 300 };
    const idempotency = { scope: `${sku}\nkey-1`, requestHash: 'h' };
    const first = await env.SKU.getByName(sku).reserve(req, idempotency);
    expect(first.ok).toBe(true);
    // Sent long ago (its answer lost on the way), retried: stored, so answered, not shed.
    const late = await env.SKU.getByName(sku).reserve(req, idempotency, { sentAt: Date.now() - 60_000, maxWaitMs: 100 });
    expect(late).toEqual({ ...first, replayed: true });
    // A request never decided is still shed.
    const fresh = await env.SKU.getByName(sku).reserve(req, { scope: `${sku}\nkey-2`, requestHash: 'h' }, { sentAt: Date.now() - 60_000, maxWaitMs: 100 });
    expect(fresh).toEqual({ ok: false, error: { code: 'overloaded', retryAfterSeconds: 1 } });
  });

  it('other commands are shed the same way (complete, cancel, stock)', async () => {
    const sku = uniqueSku('shed');
    await createSku(sku, 10);
    const { reservationId } = (await reserve(sku, { customerId: 'bob', qty: 1 }, 'k')).json;
    const before = await eventsOf(sku);

    await holdObject(sku, 2 * BOUND_MS);
    const answers = await Promise.all([
      bounded('POST', `/v1/skus/${sku}/reservations/${reservationId}/complete`, { body: { customerId: 'bob' } }),
      bounded('DELETE', `/v1/skus/${sku}/reservations/${reservationId}?customerId=bob`),
      bounded('POST', `/v1/admin/skus/${sku}/receipts`, { key: ADMIN, body: { qty: 5 } }),
    ]);
    expect(answers.map((a) => [a.status, a.json.error.code])).toEqual(answers.map(() => [503, 'overloaded']));
    for (const a of answers) expect(spread(1)).toContain(a.headers.get('retry-after'));
    expect(await eventsOf(sku)).toEqual(before);
  });

  it('many concurrent buyers against a tiny bound: some shed with 503, none 500, each 201 in the log once, nothing oversold; the shed ones, retried, are decided once', async () => {
    const sku = uniqueSku('crowd');
    await createSku(sku, 150);
    const tight = edgeWith({ ADMISSION_MAX_WAIT_MS: '5' });
    // 300 buyers in bursts of 50 a millisecond apart: a burst is stamped before the object has
    // decided its first command, so its tail waits ~50 commands (far past 5 ms) whatever the
    // machine's load. (Ten a millisecond let a loaded machine's stretched timers pace the
    // arrivals to what the object keeps up with: a CI run shed none.)
    const first = await Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        await sleep(Math.floor(i / 50));
        return tight('POST', `/v1/skus/${sku}/reservations`, { body: { customerId: `buyer-${i}`, qty: 1 }, headers: { 'idempotency-key': `k-${i}` } });
      }),
    );
    expect(first.filter((r) => ![201, 409, 503].includes(r.status))).toEqual([]);
    const overloaded = first.filter((r) => r.status === 503);
    expect(overloaded.length).toBeGreaterThan(0);
    for (const r of overloaded) {
      expect(r.json.error.code).toBe('overloaded');
      expect(spread(1)).toContain(r.headers.get('retry-after'));
    }
    const granted = first.filter((r) => r.status === 201).map((r) => r.json.reservationId as string);
    expect((await reservedIds(sku)).sort()).toEqual([...granted].sort());

    // Every shed buyer comes back with the same key: decided normally, never a replay of the 503.
    for (const [i, r] of first.entries()) {
      if (r.status !== 503) continue;
      const retried = await reserve(sku, { customerId: `buyer-${i}`, qty: 1 }, `k-${i}`);
      expect([201, 409]).toContain(retried.status);
      expect(retried.headers.get('idempotent-replayed')).toBeNull();
      if (retried.status === 201) granted.push(retried.json.reservationId);
    }
    const log = await reservedIds(sku);
    expect(log.sort()).toEqual([...granted].sort());
    expect(log).toHaveLength(150);
    expect(new Set(log).size).toBe(150);
    expect((await call('GET', `/v1/skus/${sku}?consistent=true`)).json).toMatchObject({ onHand: 150, reserved: 150, available: 0 });
  });
});
