import type { EdgeClient } from '../edge/client';
import type { EventLog, PartitionOwner, Subscription } from '../eventLog/port';
import { EVENTS_TOPIC, SNAPSHOTS_TOPIC } from '../eventLog/topics';
import type { Logger } from '../logger';
import { SkuStates } from './skuStates';
import { checkpointRecord, parseSnapshotRecord, stateRecord } from './snapshots';

export type SnapshotterOptions = { log: EventLog; edge: EdgeClient; logger: Logger; everyEvents: number; everyMs: number; endpoint: string };

/** One owned partition's folding since its last publication. */
type Partition = { owner: PartitionOwner; skus: Set<string>; changed: Set<string>; lastOffset: string | null; sinceFlush: number; flushedAt: number; publishing: Promise<void> };

/**
 * Folds every SKU from the events topic and publishes their states to the compacted snapshots
 * topic every `everyEvents` events or `everyMs`. The snapshotters of a group of bridges split the
 * partitions (docs/adr/0001-bridge-as-a-group.md): each restores the snapshots of the partitions
 * it is assigned, and publishes a partition's changed states, its checkpoint (the offset they
 * cover, where a rebuild resumes) and its input offset in one transaction of that partition's
 * owner. So a checkpoint never covers an unpublished state, never goes back, and a stale owner
 * writes nothing; a crash replays at most what was not published yet.
 */
export async function startSnapshotter({ log, edge, logger, everyEvents, everyMs, endpoint }: SnapshotterOptions): Promise<Subscription> {
  const states = new SkuStates(edge);
  const partitions = new Map<number, Partition>();

  // One publication at a time per partition: the batch handler and the idle timer both publish.
  const publish = (partition: Partition): Promise<void> =>
    (partition.publishing = partition.publishing.catch(() => undefined).then(async () => {
      if (partition.lastOffset === null || (partition.changed.size === 0 && partition.sinceFlush === 0)) return;
      // Taken together, before the commit awaits: what batches add meanwhile belongs to the next publication.
      const skus = [...partition.changed];
      const covered = partition.lastOffset;
      partition.changed.clear();
      partition.sinceFlush = 0;
      try {
        const records = [...skus.map((sku) => stateRecord(sku, states.get(sku)!)), checkpointRecord(partition.owner.partition, covered)];
        await partition.owner.commit(records, (BigInt(covered) + 1n).toString());
        logger.debug({ partition: partition.owner.partition, skus: skus.length }, 'snapshots published');
        partition.flushedAt = Date.now();
      } catch (error) {
        for (const sku of skus) partition.changed.add(sku);
        partition.sinceFlush = Math.max(1, partition.sinceFlush);
        throw error;
      }
    }));

  const subscription = await log.subscribeOwned({
    groupId: 'snapshotter',
    topic: EVENTS_TOPIC,
    fromBeginning: true,
    stateTopics: [SNAPSHOTS_TOPIC],
    endpoint,
    onAssigned: async (owner, restored) => {
      const skus = new Set<string>();
      for (const record of restored) {
        const snapshot = parseSnapshotRecord(record);
        if (snapshot?.kind !== 'sku') continue;
        states.load(snapshot.state);
        skus.add(snapshot.sku);
      }
      partitions.set(owner.partition, { owner, skus, changed: new Set(), lastOffset: null, sinceFlush: 0, flushedAt: Date.now(), publishing: Promise.resolve() });
      logger.info({ partition: owner.partition, skus: skus.size }, 'snapshotter resumed a partition from its snapshots');
    },
    onSuspended: () => undefined,
    onResumed: () => undefined,
    // Another replica folds these SKUs now: forgotten here (bounded by what this replica owns).
    onRevoked: (p) => {
      for (const sku of partitions.get(p)?.skus ?? []) states.forget(sku);
      partitions.delete(p);
    },
    onBatch: async (records, owner) => {
      const partition = partitions.get(owner.partition)!;
      for (const record of records) {
        const applied = await states.apply(record);
        if (applied > 0) {
          partition.changed.add(record.key);
          partition.skus.add(record.key);
        }
        partition.sinceFlush += applied;
        partition.lastOffset = record.offset;
      }
      if (partition.sinceFlush >= everyEvents || Date.now() - partition.flushedAt >= everyMs) await publish(partition);
    },
  });
  // When traffic stops the last events still get covered, so a rebuild does not replay them.
  const idle = setInterval(() => {
    for (const partition of partitions.values()) {
      if (Date.now() - partition.flushedAt < everyMs) continue;
      publish(partition).catch((error: unknown) => logger.warn({ err: error, partition: partition.owner.partition }, 'snapshot publication failed; retried on the next tick'));
    }
  }, everyMs);
  idle.unref();
  return {
    stop: async () => {
      clearInterval(idle);
      await Promise.all([...partitions.values()].map((p) => publish(p).catch(() => undefined)));
      await subscription.stop();
    },
  };
}
