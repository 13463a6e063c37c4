import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EdgeClient } from '../../bridge/edge/client';
import { EmbeddedEventLog } from '../../bridge/eventLog/embedded';
import { EVENTS_TOPIC, LEGACY_SAGAS_TOPIC, SAGAS_TOPIC, TOPICS } from '../../bridge/eventLog/topics';
import { createMetrics } from '../../bridge/metrics';
import type { Executor } from '../../bridge/saga/executor';
import { startSagaRunner } from '../../bridge/saga/runner';
import { SagaStore, type SagaStoreOptions } from '../../bridge/saga/store';
import { decideSaga, type AllocationSaga, type SagaCommand } from '../../src/domain/allocation';
import { waitFor } from './eventLog.contract';

const policy = { callTimeoutMs: 500, deadlineMs: 5_000, retryBaseMs: 100, retryMaxMs: 1_000, lateAllocateMs: 0 };
const saga = (id: string): AllocationSaga =>
  decideSaga(null, { type: 'Reserved', sku: 'S-1', reservationId: id, qty: 1, version: 2, at: 1_000, expiresAt: 300_000 }, policy, 1_000).saga!;
const RETENTION_MS = 60_000;

let dir: string;
beforeAll(async () => void (dir = await mkdtemp(join(tmpdir(), 'saga-store-'))));
afterAll(async () => rm(dir, { recursive: true, force: true }));

/** A store restored as the saga runner restores one: the log's owner of partition 0 and that partition's records. */
async function load(log: EmbeddedEventLog, options: SagaStoreOptions): Promise<SagaStore> {
  const store = new SagaStore(options);
  await log.subscribeOwned({
    groupId: 'saga-store-spec',
    topic: EVENTS_TOPIC,
    fromBeginning: true,
    stateTopics: [SAGAS_TOPIC],
    endpoint: 'http://127.0.0.1:1',
    onAssigned: async (owner, restored) => store.restore(owner, restored),
    onSuspended: () => undefined,
    onResumed: () => undefined,
    onRevoked: () => undefined,
    onBatch: async () => undefined,
  });
  return store;
}

async function openLog(name: string): Promise<EmbeddedEventLog> {
  const log = new EmbeddedEventLog(join(dir, name), { pollMs: 20 });
  await log.ensureTopics(TOPICS);
  return log;
}

describe('saga store', () => {
  it('a reloaded store has the latest state of every saga and the consumer versions that were flushed', async () => {
    const log = await openLog('roundtrip');
    const store = await load(log, { retentionMs: RETENTION_MS });
    store.put(saga('a'), 0);
    store.put(saga('b'), 0);
    await store.versionsOf(0).set('S-1', 4);
    await store.flush();
    const allocated = { ...saga('a'), phase: 'allocated' as const, allocationId: 'alloc_1', nextAttemptAt: null };
    store.put(allocated, 0);
    await store.flush();
    store.put({ ...saga('c') }, 0); // not flushed: a crash now loses it, and its event is read again
    await log.close();

    const reopened = new EmbeddedEventLog(join(dir, 'roundtrip'));
    const loaded = await load(reopened, { retentionMs: RETENTION_MS });
    expect(loaded.get('a')).toEqual(allocated);
    expect(loaded.get('b')).toEqual(saga('b'));
    expect(loaded.get('c')).toBeUndefined();
    expect(await loaded.versionsOf(0).get('S-1')).toBe(4);
    expect(loaded.active().sort()).toEqual(['b']);
    expect(loaded.countByPhase()).toMatchObject({ allocating: 1, allocated: 1 });
    // The latest record per key, keyed for compaction.
    expect((await reopened.readAll(SAGAS_TOPIC)).map((r) => r.key).sort()).toEqual(['cursor:S-1', 'saga:a', 'saga:b']);
    await reopened.close();
  });

  it('a failed flush keeps its changes for the next one', async () => {
    const log = new EmbeddedEventLog(join(dir, 'failing'));
    await log.ensureTopics(TOPICS.filter((t) => t.name !== SAGAS_TOPIC));
    const store = await load(log, { retentionMs: RETENTION_MS }).catch(() => null);
    expect(store).toBeNull(); // the topic must exist to load

    await log.ensureTopics(TOPICS);
    const ok = await load(log, { retentionMs: RETENTION_MS });
    ok.put(saga('x'), 0);
    await log.close();
    await expect(ok.flush()).rejects.toThrow();
    expect(ok.pendingWrites).toBe(1);
  });

  it('finished sagas (done, or allocated and completed) are retired after the retention: from memory, counts and the topic', async () => {
    const log = await openLog('retire');
    let now = 1_000_000;
    const store = await load(log, { retentionMs: RETENTION_MS, now: () => now });
    const done = { ...saga('done'), phase: 'done' as const, nextAttemptAt: null };
    const sold = { ...saga('sold'), phase: 'allocated' as const, completed: true, allocationId: 'w1', nextAttemptAt: null };
    const held = { ...saga('held'), phase: 'allocated' as const, completed: false, allocationId: 'w2', nextAttemptAt: null };
    for (const s of [done, sold, held, saga('live')]) store.put(s, 0);
    await store.versionsOf(0).set('S-1', 9);
    await store.flush();

    now += RETENTION_MS - 1;
    expect(store.retire()).toBe(0);
    expect(store.size).toBe(4);
    now += 1;
    expect(store.retire()).toBe(2);
    expect([...store.all()].map((s) => s.reservationId).sort()).toEqual(['held', 'live']);
    expect(store.countByPhase()).toEqual({ allocating: 1, overdue: 0, confirming: 0, releasing: 0, cancelling: 0, allocated: 1, done: 0, stuck: 0 });
    await store.flush();
    await log.close();

    const reopened = new EmbeddedEventLog(join(dir, 'retire'));
    const loaded = await load(reopened, { retentionMs: RETENTION_MS, now: () => now });
    expect([...loaded.all()].map((s) => s.reservationId).sort()).toEqual(['held', 'live']);
    expect(await loaded.versionsOf(0).get('S-1')).toBe(9);
    expect((await reopened.readAll(SAGAS_TOPIC)).map((r) => r.key).sort()).toEqual(['cursor:S-1', 'saga:held', 'saga:live']);
    await reopened.close();
  });

  it('a saga that finished long before a restart is retired right after the load', async () => {
    const log = await openLog('stale');
    const store = await load(log, { retentionMs: RETENTION_MS, now: () => 1_000 });
    store.put({ ...saga('old'), phase: 'done', nextAttemptAt: null, updatedAt: 1_000 }, 0);
    await store.flush();
    const loaded = await load(log, { retentionMs: RETENTION_MS, now: () => 1_000 + RETENTION_MS });
    expect(loaded.retire()).toBe(1);
    expect(loaded.size).toBe(0);
    await log.close();
  });
});

describe('saga runner over a long history', () => {
  const at = new Date(1_000_000).toISOString();
  const expiresAt = new Date(1_300_000).toISOString();
  const stockSet = (sku: string) => ({ type: 'StockSet', sku, version: 1, at, causedBy: {}, data: { onHand: 1_000_000, limitPerCustomer: null } });
  const reserved = (sku: string, version: number, reservationId: string) => ({
    type: 'StockReserved', sku, version, at, causedBy: {}, data: { reservationId, customerId: 'c', qty: 1, expiresAt },
  });
  const released = (sku: string, version: number, reservationId: string, reservedVersion: number, reason: string, refundDue = false) => ({
    type: 'StockReleased', sku, version, at, causedBy: { [`sku:${sku}`]: reservedVersion }, data: { reservationId, qty: 1, reason, refundDue },
  });
  const completed = (sku: string, version: number, reservationId: string, reservedVersion: number) => ({
    type: 'ReservationCompleted', sku, version, at, causedBy: { [`sku:${sku}`]: reservedVersion }, data: { reservationId, qty: 1 },
  });
  const asRecords = (events: { sku: string }[]) => events.map((e) => ({ key: e.sku, value: JSON.stringify(e) }));

  /** A WMS and an edge that agree at once; every command is counted. */
  function fakeExecutor() {
    const issued: SagaCommand[] = [];
    const execute: Executor = async (command) => {
      issued.push(command);
      switch (command.type) {
        case 'Allocate':
          return { type: 'WmsAnswered', answer: { status: 'allocated', allocationId: `w-${command.reference}` }, reference: command.reference };
        case 'GetAllocation':
          return { type: 'WmsAnswered', answer: { status: 'not_found' } };
        case 'Confirm':
          return { type: 'ConfirmAnswered', outcome: 'confirmed' };
        case 'Release':
          return { type: 'ReleaseAnswered', outcome: 'released' };
        case 'Cancel':
          return { type: 'CancelAnswered', reference: command.reference };
      }
    };
    return { issued, execute };
  }

  const edge = {
    eventsBetween: async () => {
      throw new Error('no gap expected');
    },
  } as unknown as EdgeClient;

  async function start(name: string, clock: { now: number }) {
    const log = await openLog(name);
    const store = new SagaStore({ retentionMs: RETENTION_MS, now: () => clock.now });
    const metrics = createMetrics();
    const wms = fakeExecutor();
    const runner = await startSagaRunner({
      log, store, edge, execute: wms.execute, policy, concurrency: 64, metrics, logger: pino({ level: 'silent' }), now: () => clock.now, endpoint: 'http://127.0.0.1:1',
    });
    return { log, store, metrics, wms, runner };
  }

  it('10,000 finished sagas: once past the retention none is held, and their events redelivered start no saga', async () => {
    const clock = { now: 1_000_000 };
    const { log, store, metrics, wms, runner } = await start('history', clock);
    try {
      const skus = ['H-1', 'H-2', 'H-3', 'H-4'];
      const perSku = 2_500;
      const reservations: ReturnType<typeof reserved>[] = [];
      for (const sku of skus) {
        const events: object[] = [stockSet(sku)];
        for (let i = 0; i < perSku; i++) {
          const id = `${sku}-r${i}`;
          const r = reserved(sku, 2 + 2 * i, id);
          reservations.push(r);
          events.push(r, released(sku, 3 + 2 * i, id, r.version, 'cancelled'));
        }
        for (let from = 0; from < events.length; from += 500) await log.append(EVENTS_TOPIC, asRecords(events.slice(from, from + 500) as { sku: string }[]));
      }
      await waitFor(() => store.countByPhase().done === 10_000, '10,000 sagas done', 120_000);
      expect(store.size).toBe(10_000);

      clock.now += RETENTION_MS;
      await waitFor(() => store.size === 0, 'every finished saga retired', 10_000);
      await store.flush();
      expect([...store.all()]).toEqual([]);
      expect(Object.values(store.countByPhase()).every((n) => n === 0)).toBe(true);
      // The compacted topic keeps the cursors and nothing of the 10,000 sagas (and the partition's import marker).
      expect((await log.readAll(SAGAS_TOPIC)).map((r) => r.key).sort()).toEqual([...skus.map((sku) => `cursor:${sku}`), 'imported:legacy']);

      // A producer retry or a replayed push re-appends old reservations: consumed already, skipped.
      const allocations = wms.issued.filter((c) => c.type === 'Allocate').length;
      const sample = reservations.filter((_, i) => i % 100 === 0);
      await log.append(EVENTS_TOPIC, asRecords(sample));
      const skipped = async () => (await metrics.registry.getSingleMetric('bridge_consumer_duplicates_total')!.get()).values.reduce((n, v) => n + v.value, 0);
      for (let i = 0; i < 200 && (await skipped()) < sample.length; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await skipped()).toBe(sample.length);
      expect(store.size).toBe(0);
      expect(wms.issued.filter((c) => c.type === 'Allocate').length).toBe(allocations);
    } finally {
      await runner.stop();
      await log.close();
    }
  });

  it('a refund of a completed purchase whose saga was retired reopens it, to cancel at the WMS', async () => {
    const clock = { now: 1_000_000 };
    const { log, store, wms, runner } = await start('refund', clock);
    try {
      const r = reserved('R-1', 2, 'bought');
      await log.append(EVENTS_TOPIC, asRecords([stockSet('R-1'), r]));
      await waitFor(() => store.get('bought')?.phase === 'allocated', 'allocated', 10_000);
      await log.append(EVENTS_TOPIC, asRecords([completed('R-1', 3, 'bought', 2)]));
      await waitFor(() => store.get('bought')?.completed === true, 'completed', 10_000);
      clock.now += RETENTION_MS;
      await waitFor(() => store.size === 0, 'retired', 10_000);

      await log.append(EVENTS_TOPIC, asRecords([released('R-1', 4, 'bought', 2, 'admin', true)]));
      await waitFor(() => store.get('bought')?.phase === 'done', 'cancelled at the WMS', 10_000);
      expect(wms.issued.filter((c) => c.type === 'Cancel')).toEqual([{ type: 'Cancel', reservationId: 'bought', reference: 'bought' }]);
      expect(store.get('bought')).toMatchObject({ releasedAs: 'admin', wmsMayHold: false, reservedVersion: 2 });

      // Retired again; a release that did not sell (a saga's own compensation, read by a consumer
      // lagging past the retention) reopens nothing and sends nothing to the WMS.
      clock.now += RETENTION_MS;
      await waitFor(() => store.size === 0, 'retired again', 10_000);
      const cancels = wms.issued.filter((c) => c.type === 'Cancel').length;
      await log.append(EVENTS_TOPIC, asRecords([released('R-1', 5, 'bought', 2, 'wms_rejected')]));
      for (let i = 0; i < 200 && (await store.versionsOf(0).get('R-1')) < 5; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await store.versionsOf(0).get('R-1')).toBe(5);
      expect(store.get('bought')).toBeUndefined();
      expect(wms.issued.filter((c) => c.type === 'Cancel').length).toBe(cancels);
    } finally {
      await runner.stop();
      await log.close();
    }
  });

  it('a re-sourcing of a sale whose saga was retired reopens it (ADR 0015): allocated at the new location under its own reference, cancelled at the old one, then retired again', async () => {
    const clock = { now: 1_000_000 };
    const { log, store, wms, runner } = await start('resourced', clock);
    try {
      await log.append(EVENTS_TOPIC, asRecords([stockSet('S-1'), reserved('S-1', 2, 'sold'), completed('S-1', 3, 'sold', 2)]));
      await waitFor(() => store.get('sold')?.phase === 'allocated' && store.get('sold')?.completed === true, 'sold and allocated', 10_000);
      clock.now += RETENTION_MS;
      await waitFor(() => store.size === 0, 'retired', 10_000);

      const resourced = {
        type: 'ReservationResourced', sku: 'S-1', version: 4, at, causedBy: { 'sku:S-1': 2 },
        data: { reservationId: 'sold', qty: 1, from: 'default', to: 'FRA-2', completed: true, reason: 'stock_shortfall' },
      };
      await log.append(EVENTS_TOPIC, asRecords([resourced]));
      await waitFor(() => store.get('sold')?.phase === 'allocated' && store.get('sold')?.leftBehind.length === 0, 'allocated at FRA-2', 10_000);
      expect(store.get('sold')).toMatchObject({ location: 'FRA-2', reference: 'sold@FRA-2', allocationId: 'w-sold@FRA-2', completed: true });
      const after = wms.issued.slice(wms.issued.findIndex((c) => 'reference' in c && c.reference === 'sold@FRA-2'));
      expect(after.filter((c) => c.type !== 'Confirm')).toEqual([
        { type: 'Allocate', reservationId: 'sold', reference: 'sold@FRA-2', sku: 'S-1', qty: 1, location: 'FRA-2' },
        { type: 'Cancel', reservationId: 'sold', reference: 'sold' },
        { type: 'Cancel', reservationId: 'sold', reference: 'sold@default' },
      ]);
      clock.now += RETENTION_MS;
      await waitFor(() => store.size === 0, 'retired again', 10_000);
    } finally {
      await runner.stop();
      await log.close();
    }
  });
});

describe('saga state from a bridge before the group', () => {
  it('is imported once into the partition that owns its SKU: sagas in flight resume, cursors hold, nothing is allocated again', async () => {
    const log = await openLog('legacy');
    await log.ensureTopics([{ name: LEGACY_SAGAS_TOPIC, kind: 'compacted' }]);
    // Started by the old bridge a moment ago, its allocation not answered yet.
    const now = Date.now();
    const inFlight = decideSaga(null, { type: 'Reserved', sku: 'L-1', reservationId: 'old-1', qty: 1, version: 2, at: now, expiresAt: now + 300_000 }, policy, now).saga!;
    const allocated = { ...saga('old-2'), sku: 'L-1', reservedVersion: 3, phase: 'allocated' as const, allocationId: 'w-old-2', nextAttemptAt: null };
    await log.append(LEGACY_SAGAS_TOPIC, [
      { key: 'saga:old-1', value: JSON.stringify(inFlight) },
      { key: 'saga:old-2', value: JSON.stringify(allocated) },
      { key: 'cursor:L-1', value: '3' },
    ]);
    const issued: SagaCommand[] = [];
    const execute: Executor = async (command) => {
      issued.push(command);
      return command.type === 'Allocate' ? { type: 'WmsAnswered', answer: { status: 'allocated', allocationId: `w-${command.reservationId}` } } : { type: 'ConfirmAnswered', outcome: 'confirmed' };
    };
    const start = async () => {
      const store = new SagaStore({ retentionMs: RETENTION_MS });
      const edge = { eventsBetween: async () => [] } as unknown as EdgeClient;
      const runner = await startSagaRunner({ log, store, edge, execute, policy, concurrency: 4, metrics: createMetrics(), logger: pino({ level: 'silent' }), endpoint: 'http://127.0.0.1:1' });
      return { store, runner };
    };
    const first = await start();
    try {
      expect(first.store.get('old-2')).toEqual(allocated);
      await waitFor(() => first.store.get('old-1')?.phase === 'allocated', 'the saga in flight resumed', 10_000);
      // The events the cursor covers are not sagas again; the next one is.
      await log.append(EVENTS_TOPIC, [
        { key: 'L-1', value: JSON.stringify({ type: 'StockReserved', sku: 'L-1', version: 3, at: new Date(1_000).toISOString(), causedBy: {}, data: { reservationId: 'old-2', customerId: 'c', qty: 1, expiresAt: new Date(300_000).toISOString() } }) },
        { key: 'L-1', value: JSON.stringify({ type: 'StockReserved', sku: 'L-1', version: 4, at: new Date(1_000).toISOString(), causedBy: {}, data: { reservationId: 'new-1', customerId: 'c', qty: 1, expiresAt: new Date(300_000).toISOString() } }) },
      ]);
      await waitFor(() => first.store.get('new-1')?.phase === 'allocated', 'the next reservation’s saga', 10_000);
      expect(issued.filter((c) => c.type === 'Allocate').map((c) => c.reservationId).sort()).toEqual(['new-1', 'old-1']);
    } finally {
      await first.runner.stop();
    }
    // Started again: imported once, not twice; the legacy topic is left as it was.
    const keys = (await log.readAll(SAGAS_TOPIC)).map((r) => r.key).sort();
    expect(keys).toEqual(['cursor:L-1', 'imported:legacy', 'saga:new-1', 'saga:old-1', 'saga:old-2']);
    const second = await start();
    try {
      expect(second.store.get('old-1')?.phase).toBe('allocated');
      expect(await second.store.versionsOf(0).get('L-1')).toBe(4);
      expect((await log.readAll(SAGAS_TOPIC)).map((r) => r.key).sort()).toEqual(keys);
      expect((await log.readAll(LEGACY_SAGAS_TOPIC)).map((r) => r.key).sort()).toEqual(['cursor:L-1', 'saga:old-1', 'saga:old-2']);
    } finally {
      await second.runner.stop();
      await log.close();
    }
  });
});
