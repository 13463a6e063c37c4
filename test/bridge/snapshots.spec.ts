import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { EdgeClient } from '../../bridge/edge/client';
import type { EventLog, PartitionOwner } from '../../bridge/eventLog/port';
import { EVENTS_TOPIC } from '../../bridge/eventLog/topics';
import { loadSnapshots } from '../../bridge/projections/snapshots';
import { startSnapshotter } from '../../bridge/projections/snapshotter';
import type { SkuEvent } from '../../src/domain/sku';
import { embeddedLogForFile } from './support/embeddedLog';

/**
 * Snapshot states and the checkpoints that cover them: a checkpoint must never be in the log
 * without the states it covers, or a rebuild from the snapshots skips those SKUs' events.
 */
const snapshotterLog = embeddedLogForFile('snapshots-snapshotter-');

const at = '2026-11-25T10:00:00.000Z';
const stockSet = (sku: string): SkuEvent => ({ type: 'StockSet', sku, version: 1, at, causedBy: {}, data: { onHand: 5, limitPerCustomer: null } });
const noEdge = {} as EdgeClient;

/**
 * A log whose owners' commits fail while `failing` says so, as a broker away mid-publication
 * would make them: nothing of a failed commit lands (one transaction), and the commits are counted.
 */
function failingCommitsLog(inner: EventLog) {
  const control = { failing: true, commits: [] as string[][] };
  const wrapped: EventLog = {
    ensureTopics: (specs) => inner.ensureTopics(specs),
    subscribe: (options) => inner.subscribe(options),
    groupMembers: (groupId, topic) => inner.groupMembers(groupId, topic),
    readAll: (topic, partitions) => inner.readAll(topic, partitions),
    endOffsets: (topic) => inner.endOffsets(topic),
    startOffsets: (topic) => inner.startOffsets(topic),
    hasTopic: (topic) => inner.hasTopic(topic),
    health: () => inner.health(),
    close: () => inner.close(),
    append: (topic, records) => inner.append(topic, records),
    subscribeOwned: (options) =>
      inner.subscribeOwned({
        ...options,
        onAssigned: (owner, restored) => options.onAssigned(failing(owner), restored),
        onBatch: (records, owner) => options.onBatch(records, failing(owner)),
      }),
  };
  const failing = (owner: PartitionOwner): PartitionOwner => ({
    partition: owner.partition,
    get active() {
      return owner.active;
    },
    commit: async (records, nextOffset) => {
      control.commits.push(records.map((r) => r.key));
      if (control.failing) throw new Error('NOT_COORDINATOR (the transaction could not commit)');
      return owner.commit(records, nextOffset);
    },
  });
  return { log: wrapped, control };
}

describe('snapshots: the states, their checkpoint and the offset in one commit', () => {
  it('a failed publication leaves no checkpoint and no state; once the log heals, they are published together', async () => {
    const { log: failing, control } = failingCommitsLog(snapshotterLog);
    await snapshotterLog.append(EVENTS_TOPIC, ['SNAP-B', 'SNAP-C'].map((sku) => ({ key: sku, value: JSON.stringify(stockSet(sku)) })));
    const lastOffsets = [...(await snapshotterLog.endOffsets(EVENTS_TOPIC))].filter(([, end]) => end !== '0').map(([p, end]) => [p, String(BigInt(end) - 1n)] as const);
    const snapshotter = await startSnapshotter({ log: failing, edge: noEdge, logger: pino({ level: 'silent' }), everyEvents: 1, everyMs: 50, endpoint: 'http://127.0.0.1:1' });
    try {
      for (let i = 0; i < 100 && control.commits.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
      expect(control.commits.length).toBeGreaterThanOrEqual(3);
      expect(control.commits[0]).toEqual(['sku:SNAP-B', 'sku:SNAP-C', 'checkpoint:0']);
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
    // A restarted snapshotter resumes after its committed offset from the states it published.
    const restarted = await startSnapshotter({ log: snapshotterLog, edge: noEdge, logger: pino({ level: 'silent' }), everyEvents: 1, everyMs: 50, endpoint: 'http://127.0.0.1:1' });
    try {
      await snapshotterLog.append(EVENTS_TOPIC, [{ key: 'SNAP-B', value: JSON.stringify({ ...stockSet('SNAP-B'), version: 2, type: 'StockReceived', data: { qty: 3 } }) }]);
      let after = await loadSnapshots(snapshotterLog);
      for (let i = 0; i < 100 && after.skus.find((s) => s.sku === 'SNAP-B')?.version !== 2; i++) {
        await new Promise((r) => setTimeout(r, 20));
        after = await loadSnapshots(snapshotterLog);
      }
      expect(after.skus.find((s) => s.sku === 'SNAP-B')).toMatchObject({ version: 2, onHand: 8 });
    } finally {
      await restarted.stop();
    }
  });
});
