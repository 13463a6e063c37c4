import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { EdgeClient } from '../../bridge/edge/client';
import type { EventLog, LogRecord } from '../../bridge/eventLog/port';
import { EVENTS_TOPIC, SNAPSHOTS_TOPIC } from '../../bridge/eventLog/topics';
import { SkuStates } from '../../bridge/projections/skuStates';
import { loadSnapshots, publishSnapshots } from '../../bridge/projections/snapshots';
import { startSnapshotter } from '../../bridge/projections/snapshotter';
import type { SkuEvent } from '../../src/domain/sku';
import { embeddedLogForFile } from './support/embeddedLog';

/**
 * Snapshot states and the checkpoints that cover them: a checkpoint must never be in the log
 * without the states it covers, or a rebuild from the snapshots skips those SKUs' events.
 */
// One log per test: the first one's checkpoints must not cover the second one's events.
const log = embeddedLogForFile('snapshots-publish-');
const snapshotterLog = embeddedLogForFile('snapshots-snapshotter-');

const at = '2026-11-25T10:00:00.000Z';
const stockSet = (sku: string): SkuEvent => ({ type: 'StockSet', sku, version: 1, at, causedBy: {}, data: { onHand: 5, limitPerCustomer: null } });
const noEdge = {} as EdgeClient;
const isState = (r: LogRecord) => r.key.startsWith('sku:');

/**
 * Kafka writes an append's records partition by partition: one can land while another fails.
 * This log does that to the snapshots topic while `failing` says so: it writes what is not a SKU
 * state (the checkpoints) and fails the states.
 */
function partialSnapshotsLog(inner: EventLog) {
  const control = { failing: true, appends: [] as string[][] };
  const wrapped: EventLog = {
    ensureTopics: (specs) => inner.ensureTopics(specs),
    subscribe: (options) => inner.subscribe(options),
    subscribeOwned: (options) => inner.subscribeOwned(options),
    groupMembers: (groupId, topic) => inner.groupMembers(groupId, topic),
    readAll: (topic) => inner.readAll(topic),
    endOffsets: (topic) => inner.endOffsets(topic),
    health: () => inner.health(),
    close: () => inner.close(),
    async append(topic, records) {
      if (topic === SNAPSHOTS_TOPIC) control.appends.push(records.map((r) => r.key));
      if (topic !== SNAPSHOTS_TOPIC || !control.failing || !records.some(isState)) return inner.append(topic, records);
      const landed = records.filter((r) => !isState(r));
      if (landed.length > 0) await inner.append(topic, landed);
      throw new Error('NOT_LEADER_FOR_PARTITION (the states’ partition)');
    },
  };
  return { log: wrapped, control };
}

describe('snapshots: the states first, the checkpoints once they are acknowledged', () => {
  it('when the states’ append fails, no checkpoint is written', async () => {
    const states = new SkuStates(noEdge);
    const record = { key: 'SNAP-A', value: JSON.stringify(stockSet('SNAP-A')), topic: EVENTS_TOPIC, partition: 0, offset: '0', timestamp: 0 };
    await states.apply(record);
    const { log: partial, control } = partialSnapshotsLog(log);

    await expect(publishSnapshots(partial, states, ['SNAP-A'], new Map([[0, '0']]))).rejects.toThrow('NOT_LEADER');
    expect(await loadSnapshots(log)).toEqual({ skus: [], checkpoints: new Map() });

    // Healed: the states are appended alone, then the checkpoints alone.
    control.failing = false;
    control.appends = [];
    await publishSnapshots(partial, states, ['SNAP-A'], new Map([[0, '0']]));
    expect(control.appends).toEqual([['sku:SNAP-A'], ['checkpoint:0']]);
    const loaded = await loadSnapshots(log);
    expect(loaded.skus.map((s) => s.sku)).toEqual(['SNAP-A']);
    expect(loaded.checkpoints).toEqual(new Map([[0, '0']]));
  });

  it('the snapshotter writes no checkpoint past states it could not publish, and covers them once the log heals', async () => {
    const { log: partial, control } = partialSnapshotsLog(snapshotterLog);
    await snapshotterLog.append(EVENTS_TOPIC, ['SNAP-B', 'SNAP-C'].map((sku) => ({ key: sku, value: JSON.stringify(stockSet(sku)) })));
    const lastOffsets = [...(await snapshotterLog.endOffsets(EVENTS_TOPIC))].filter(([, end]) => end !== '0').map(([p, end]) => [p, String(BigInt(end) - 1n)] as const);
    const snapshotter = await startSnapshotter({ log: partial, edge: noEdge, logger: pino({ level: 'silent' }), everyEvents: 1, everyMs: 50 });
    try {
      for (let i = 0; i < 100 && control.appends.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
      expect(control.appends.length).toBeGreaterThanOrEqual(3);
      // Every publication tried so far failed on the states: no checkpoint, no state.
      expect(await loadSnapshots(snapshotterLog)).toEqual({ skus: [], checkpoints: new Map() });

      control.failing = false;
      let after = await loadSnapshots(snapshotterLog);
      const covered = (c: Map<number, string>) => lastOffsets.every(([p, offset]) => c.get(p) === offset);
      for (let i = 0; i < 100 && !covered(after.checkpoints); i++) {
        await new Promise((r) => setTimeout(r, 20));
        after = await loadSnapshots(snapshotterLog);
      }
      expect(after.checkpoints).toEqual(new Map(lastOffsets));
      expect(after.skus.map((s) => s.sku).sort()).toEqual(['SNAP-B', 'SNAP-C']);
    } finally {
      await snapshotter.stop();
    }
  });
});
