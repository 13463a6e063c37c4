import type { EdgeClient } from '../edge/client';
import type { EventLog, Subscription } from '../eventLog/port';
import { EVENTS_TOPIC } from '../eventLog/topics';
import type { Logger } from '../logger';
import { SkuStates } from './skuStates';
import { loadSnapshots, publishSnapshots, resumeAfter } from './snapshots';

export type SnapshotterOptions = { log: EventLog; edge: EdgeClient; logger: Logger; everyEvents: number; everyMs: number };

/**
 * Folds every SKU from the events topic and publishes their states to the compacted snapshots
 * topic every `everyEvents` events or `everyMs`, with the offsets they cover. It needs no
 * consumer offsets of its own: on start it resumes from its last checkpoints.
 */
export async function startSnapshotter({ log, edge, logger, everyEvents, everyMs }: SnapshotterOptions): Promise<Subscription> {
  const states = new SkuStates(edge);
  const { skus, checkpoints } = await loadSnapshots(log);
  for (const snapshot of skus) states.load(snapshot);
  const covered = new Map(checkpoints);
  const changed = new Set<string>();
  let sinceFlush = 0;
  let unpublished = false;
  let flushedAt = Date.now();
  let publishing: Promise<void> = Promise.resolve();

  // One publication at a time: the batch handler and the idle timer both flush.
  const flush = () =>
    (publishing = publishing.catch(() => undefined).then(async () => {
      if (!unpublished) return;
      // Taken together, before the appends await: what batches add meanwhile (SKUs and the offsets
      // that cover them) belongs to the next publication, so no checkpoint covers an unpublished state.
      const skus = [...changed];
      const upTo = new Map(covered);
      changed.clear();
      sinceFlush = 0;
      unpublished = false;
      try {
        const written = await publishSnapshots(log, states, skus, upTo);
        logger.debug({ skus: skus.length, records: written }, 'snapshots published');
        flushedAt = Date.now();
      } catch (error) {
        for (const sku of skus) changed.add(sku);
        unpublished = true;
        throw error;
      }
    }));

  const subscription = await log.subscribe({
    groupId: 'snapshotter',
    topic: EVENTS_TOPIC,
    fromBeginning: true,
    commit: false,
    startAt: resumeAfter(checkpoints),
    onBatch: async (records) => {
      for (const record of records) {
        const applied = await states.apply(record);
        if (applied > 0) changed.add(record.key);
        sinceFlush += applied;
        covered.set(record.partition, record.offset);
        unpublished = true;
      }
      if (sinceFlush >= everyEvents || Date.now() - flushedAt >= everyMs) await flush();
    },
  });
  // When traffic stops the last events still get covered, so a rebuild does not replay them.
  const idle = setInterval(() => {
    if (Date.now() - flushedAt >= everyMs) flush().catch((error: unknown) => logger.warn({ err: error }, 'snapshot publication failed; retried on the next tick'));
  }, everyMs);
  idle.unref();
  logger.info({ skus: skus.length, partitions: checkpoints.size }, 'snapshotter resumed from its checkpoints');
  return {
    stop: async () => {
      clearInterval(idle);
      await subscription.stop();
      await publishing.catch(() => undefined);
    },
  };
}
