import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedEventLog } from '../../bridge/eventLog/embedded';
import { SAGAS_TOPIC, TOPICS } from '../../bridge/eventLog/topics';
import { SagaStore } from '../../bridge/saga/store';
import { decideSaga, type AllocationSaga } from '../../src/domain/allocation';

const policy = { callTimeoutMs: 500, deadlineMs: 5_000, retryBaseMs: 100, retryMaxMs: 1_000 };
const saga = (id: string): AllocationSaga =>
  decideSaga(null, { type: 'Reserved', sku: 'S-1', reservationId: id, qty: 1, version: 2, at: 1_000, expiresAt: 300_000 }, policy, 1_000).saga!;

let dir: string;
beforeAll(async () => void (dir = await mkdtemp(join(tmpdir(), 'saga-store-'))));
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('saga store', () => {
  it('a reloaded store has the latest state of every saga and the consumer versions that were flushed', async () => {
    const log = new EmbeddedEventLog(join(dir, 'roundtrip'));
    await log.ensureTopics(TOPICS);
    const store = await SagaStore.load(log);
    store.put(saga('a'));
    store.put(saga('b'));
    await store.versions.set('S-1', 4);
    await store.flush();
    const allocated = { ...saga('a'), phase: 'allocated' as const, allocationId: 'alloc_1', nextAttemptAt: null };
    store.put(allocated);
    await store.flush();
    store.put({ ...saga('c') }); // not flushed: a crash now loses it, and its event is read again
    await log.close();

    const reopened = new EmbeddedEventLog(join(dir, 'roundtrip'));
    const loaded = await SagaStore.load(reopened);
    expect(loaded.get('a')).toEqual(allocated);
    expect(loaded.get('b')).toEqual(saga('b'));
    expect(loaded.get('c')).toBeUndefined();
    expect(await loaded.versions.get('S-1')).toBe(4);
    expect(loaded.active().sort()).toEqual(['b']);
    expect(loaded.countByPhase()).toMatchObject({ allocating: 1, allocated: 1 });
    // One record per change in a batch, keyed for compaction.
    expect((await reopened.readAll(SAGAS_TOPIC)).map((r) => r.key)).toEqual(['saga:a', 'saga:b', 'cursor:S-1', 'saga:a']);
    await reopened.close();
  });

  it('a failed flush keeps its changes for the next one', async () => {
    const log = new EmbeddedEventLog(join(dir, 'failing'));
    await log.ensureTopics(TOPICS.filter((t) => t.name !== SAGAS_TOPIC));
    const store = await SagaStore.load(log).catch(() => null);
    expect(store).toBeNull(); // the topic must exist to load

    await log.ensureTopics(TOPICS);
    const ok = await SagaStore.load(log);
    ok.put(saga('x'));
    await log.close();
    await expect(ok.flush()).rejects.toThrow();
    expect(ok.pendingWrites).toBe(1);
  });
});
