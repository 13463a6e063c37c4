import { env } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import { enqueue, OutboxRelay, RELAY_BATCHES_PER_RUN, type PushPending } from '../../durable-objects/relay/outbox';
import type { PushResult, RelaySettings } from '../../durable-objects/relay/push';

/**
 * The outbox relay shared by the SKU and checkout objects, on a real object's storage (a fresh
 * checkout's: its migrations create the outbox tables). The push is the test's: it acknowledges
 * or refuses the oldest pending row, as a bridge would acknowledge a batch of one.
 */

const settings = (target: boolean): RelaySettings => ({ target: target ? { replicas: { error: 'not used: the push is the test’s' }, secret: 's' } : null, maxBackoffMs: 30_000 });
const log = { fields: { checkout: 'chk_test' }, message: 'checkout log push failed' };

/** Runs `body` on the storage of a new object whose outbox holds `pending` rows (versions 1..pending). */
function withOutbox(pending: number, body: (sql: SqlStorage) => Promise<void>): Promise<void> {
  const stub = env.CHECKOUT.getByName(`relay-${crypto.randomUUID()}`) as unknown as DurableObjectStub;
  return runInDurableObject(stub, async (_: unknown, state) => {
    for (let v = 1; v <= pending; v++) enqueue(state.storage.sql, v, 1_000 + v);
    await body(state.storage.sql);
  });
}

/** Acknowledges the oldest pending row, and counts its calls. */
function ackingOldest(sql: SqlStorage) {
  return vi.fn<PushPending>(async () => {
    const oldest = sql.exec<{ version: number }>('SELECT version FROM outbox ORDER BY version LIMIT 1').one().version;
    return { ok: true, acked: oldest } satisfies PushResult;
  });
}

describe('the outbox relay', () => {
  it('pushes at most RELAY_BATCHES_PER_RUN batches a run, and the rest is due at once for the next run', async () => {
    await withOutbox(RELAY_BATCHES_PER_RUN + 5, async (sql) => {
      const relay = new OutboxRelay(sql, settings(true));
      const push = ackingOldest(sql);
      await relay.run(push, log);
      expect(push).toHaveBeenCalledTimes(RELAY_BATCHES_PER_RUN);
      expect(relay.status()).toMatchObject({ relayedVersion: RELAY_BATCHES_PER_RUN, pending: 5, attempts: 0, lastError: null });
      const now = Date.now();
      expect(relay.dueAt(now)).toBe(now);

      await relay.run(push, log);
      expect(push).toHaveBeenCalledTimes(RELAY_BATCHES_PER_RUN + 5);
      expect(relay.status()).toMatchObject({ relayedVersion: RELAY_BATCHES_PER_RUN + 5, pending: 0 });
      expect(relay.dueAt(Date.now())).toBeNull();
    });
  });

  it('stops at the first refusal, backs off, and pushes nothing more until the backoff is over', async () => {
    await withOutbox(3, async (sql) => {
      const relay = new OutboxRelay(sql, settings(true), () => 0);
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      const push = vi.fn<PushPending>(async () => ({ ok: false, error: 'bridge answered 503' }));
      const before = Date.now();
      await relay.run(push, log);
      expect(push).toHaveBeenCalledTimes(1);
      const status = relay.status();
      expect(status).toMatchObject({ pending: 3, attempts: 1, lastError: 'bridge answered 503', relayedVersion: 0 });
      // The first backoff is 500 ms, halved by the jitter the test chose.
      expect(status.nextAttemptAt).toBeGreaterThanOrEqual(before + 250);
      expect(relay.dueAt(Date.now())).toBe(status.nextAttemptAt);
      expect(JSON.parse(warn.mock.calls[0]![0] as string)).toMatchObject({ level: 'warn', checkout: 'chk_test', message: 'checkout log push failed', error: 'bridge answered 503' });

      await relay.run(push, log);
      expect(push).toHaveBeenCalledTimes(1);
      warn.mockRestore();
    });
  });

  it('a success after failures clears the backoff and deletes only the acknowledged rows', async () => {
    await withOutbox(4, async (sql) => {
      const relay = new OutboxRelay(sql, settings(true));
      sql.exec("UPDATE relay_state SET attempts = 2, next_attempt_at = ?, last_error = 'down' WHERE id = 1", Date.now() - 1);
      const push = vi.fn<PushPending>(async () => ({ ok: true, acked: 2 }));
      const acked = vi.fn<PushPending>(async () => ({ ok: true, acked: 4 }));
      await relay.run(async (target) => (push.mock.calls.length === 0 ? push(target) : acked(target)), log);
      expect(sql.exec<{ version: number }>('SELECT version FROM outbox').toArray()).toEqual([]);
      expect(relay.status()).toMatchObject({ relayedVersion: 4, pending: 0, attempts: 0, nextAttemptAt: null, lastError: null });
      expect(push).toHaveBeenCalledTimes(1);
      expect(acked).toHaveBeenCalledTimes(1);
    });
  });

  it('without a bridge to push to, keeps the outbox and is never due', async () => {
    await withOutbox(2, async (sql) => {
      const relay = new OutboxRelay(sql, settings(false));
      const push = ackingOldest(sql);
      await relay.run(push, log);
      expect(push).not.toHaveBeenCalled();
      expect(relay.dueAt(Date.now())).toBeNull();
      expect(relay.status()).toMatchObject({ pending: 2, relayedVersion: 0 });
    });
  });
});
