import { evolve, initialSkuState, type SkuState } from '../../src/domain/sku';
import { readSkuRecords } from '../consumers/decodeEvent';
import type { EdgeClient } from '../edge/client';
import type { EventLog, PartitionOwner, StateRecord, Subscription } from '../eventLog/port';
import { ARCHIVE_STATE_TOPIC, EVENTS_TOPIC } from '../eventLog/topics';
import type { Logger } from '../logger';
import { eventsToApply } from '../projections/skuStates';
import { checkpointRecord, parseSnapshotRecord, stateRecord } from '../projections/snapshots';
import { ArchiveWriter, rangeOf, type PlannedRange } from './archiveWriter';
import { coveredKey } from './keys';
import type { ObjectStore } from './objectStore';
import { ParquetCodec } from './parquet';
import { archiveRow, type ArchiveRow } from './rows';
import { putSnapshot } from './storedSnapshots';

/** The consumer group of the archivers: its members split the events topic's partitions. */
export const ARCHIVER_GROUP = 'archiver';

export type ArchiverOptions = {
  log: EventLog;
  edge: EdgeClient;
  store: ObjectStore;
  logger: Logger;
  endpoint: string;
  /** A partition's buffered events are written once this many are waiting… */
  flushEvents: number;
  /** …or the oldest has waited this long. */
  flushMs: number;
  /** Between two snapshots of every owned partition to the bucket (0: on demand only). */
  snapshotEveryMs: number;
};

/** One owned partition: its streams' states as read and as archived, and the rows not written yet. */
type Partition = {
  owner: PartitionOwner;
  /** Its own: what it learned of the bucket is forgotten with the partition, even by a flush still running. */
  writer: ArchiveWriter;
  states: Map<string, SkuState>;
  /** As of `committed`: what a snapshot holds. */
  archived: Map<string, SkuState>;
  pending: Map<string, ArchiveRow[]>;
  pendingEvents: number;
  oldestPendingAt: number | null;
  /**
   * The files the last owner declared and may have uploaded without committing (it died, or was
   * fenced, in between): the first flush waits to have read through `through`, and writes them
   * again under the same keys, so a late upload of theirs overwrites identical events, never overlaps.
   */
  intent: Intent | null;
  /** The last offset read, and the last committed (what the archive and the states cover). */
  lastOffset: string | null;
  committed: string | null;
  flushing: Promise<void>;
};

type Intent = { through: string; files: PlannedRange[] };
const INTENT_KEY = 'intent:';
const intentRecord = (partition: number, intent: Intent | null): StateRecord => ({ topic: ARCHIVE_STATE_TOPIC, key: `${INTENT_KEY}${partition}`, value: intent === null ? null : JSON.stringify(intent) });

export type ArchiverStatus = { partitions: number[]; streams: number; pendingEvents: number; oldestPendingAt: number | null; filesWritten: number; eventsArchived: number; bytesWritten: number; snapshotsWritten: number; lastFlushAt: number | null; lastSnapshotAt: number | null };

export type Archiver = Subscription & {
  /** Writes what is pending, then a snapshot of every partition this replica owns; answers their keys. */
  snapshotNow(): Promise<string[]>;
  status(): ArchiverStatus;
};

/**
 * Appends every SKU event to the archive in object storage and snapshots the states it folds
 * (issue 27, ADR 0025). A group member like the snapshotter: each replica archives the partitions
 * it is assigned, and commits a partition's states and input offset only after the files holding
 * its events are written, so a crash re-reads and never loses; the writer never writes twice.
 */
export async function startArchiver(options: ArchiverOptions): Promise<Archiver> {
  const { log, edge, store, logger } = options;
  const codec = await ParquetCodec.open();
  const partitions = new Map<number, Partition>();
  const partitionCount = (await log.endOffsets(EVENTS_TOPIC)).size;
  const totals = { filesWritten: 0, eventsArchived: 0, bytesWritten: 0, snapshotsWritten: 0, lastFlushAt: null as number | null, lastSnapshotAt: null as number | null };

  // One flush at a time per partition: batches, the timer and snapshots all flush.
  const flush = (partition: Partition): Promise<void> =>
    (partition.flushing = partition.flushing.catch(() => undefined).then(async () => {
      if (partition.lastOffset === null || partition.lastOffset === partition.committed) return;
      // The last owner's declared files are written whole, once their rows have been read again.
      if (partition.intent !== null && BigInt(partition.lastOffset) < BigInt(partition.intent.through)) return;
      // Taken together, before anything awaits: the rows, the states they lead to and the offset they cover.
      const rows = partition.pending;
      const waitingSince = partition.oldestPendingAt;
      const covered = partition.lastOffset;
      const changed = new Map([...rows.keys()].map((stream) => [stream, partition.states.get(stream)!]));
      partition.pending = new Map();
      partition.pendingEvents = 0;
      partition.oldestPendingAt = null;
      try {
        const { files, skippedEvents } = await partition.writer.plan(rows, partition.intent?.files);
        // Declared before any upload, in a transaction of this partition's owner: a fenced owner uploads
        // nothing, and whoever takes the partition next writes these same keys (ADR 0025).
        if (files.length > 0) {
          const declared = { through: covered, files: files.map(rangeOf) };
          await partition.owner.commit([intentRecord(partition.owner.partition, declared)]);
          // A retry after a failed upload keeps these boundaries (one of them may land late).
          partition.intent = declared;
        }
        const written = { ...(await partition.writer.upload(files, () => partition.owner.active)), skippedEvents };
        const records = [
          ...[...changed].map(([stream, state]) => stateRecord(stream, state, ARCHIVE_STATE_TOPIC)),
          checkpointRecord(partition.owner.partition, covered, ARCHIVE_STATE_TOPIC),
          intentRecord(partition.owner.partition, null),
        ];
        await partition.owner.commit(records, (BigInt(covered) + 1n).toString());
        partition.committed = covered;
        partition.intent = null;
        for (const [stream, state] of changed) partition.archived.set(stream, state);
        totals.filesWritten += written.files;
        totals.eventsArchived += written.events;
        totals.bytesWritten += written.bytes;
        totals.lastFlushAt = Date.now();
        logger.debug({ partition: partition.owner.partition, ...written }, 'archived');
      } catch (error) {
        // Put back in front of what arrived meanwhile: the next flush writes them (the writer skips what the bucket has).
        for (const [stream, streamRows] of partition.pending) rows.set(stream, [...(rows.get(stream) ?? []), ...streamRows]);
        partition.pendingEvents = [...rows.values()].reduce((n, r) => n + r.length, 0);
        partition.pending = rows;
        // Still waiting since the first of them arrived: a bucket that keeps refusing shows as a growing wait (ArchiveBehind).
        partition.oldestPendingAt = Math.min(waitingSince ?? Date.now(), partition.oldestPendingAt ?? Date.now());
        throw error;
      }
      // After the commit, never before: the marker may lag what is archived, never lead it (a failed one is written by the next flush).
      const marker = JSON.stringify({ offset: covered, at: new Date().toISOString() });
      await store.put(coveredKey(partitionCount, partition.owner.partition), new TextEncoder().encode(marker)).catch((error: unknown) => logger.warn({ err: error }, 'could not write how far the archive covers; a rebuild reads more of the log'));
    }));

  // After a flush, so the snapshot is as fresh as the archive.
  const snapshot = async (partition: Partition): Promise<string | null> => {
    await flush(partition);
    // `committed` and `archived` change together, in one synchronous step of a flush: read together, they agree.
    if (partition.committed === null || !partition.owner.active) return null;
    const key = await putSnapshot(store, {
      partitions: partitionCount,
      partition: partition.owner.partition,
      offset: partition.committed,
      takenAt: new Date().toISOString(),
      states: [...partition.archived.values()],
    });
    totals.snapshotsWritten++;
    totals.lastSnapshotAt = Date.now();
    logger.info({ partition: partition.owner.partition, key, states: partition.archived.size }, 'snapshot written to the bucket');
    return key;
  };

  const subscription = await log.subscribeOwned({
    groupId: ARCHIVER_GROUP,
    topic: EVENTS_TOPIC,
    fromBeginning: true,
    stateTopics: [ARCHIVE_STATE_TOPIC],
    endpoint: options.endpoint,
    onAssigned: async (owner, restored) => {
      const states = new Map<string, SkuState>();
      let committed: string | null = null;
      let intent: Intent | null = null;
      for (const record of restored) {
        if (record.key === `${INTENT_KEY}${owner.partition}`) {
          intent = JSON.parse(record.value) as Intent;
          continue;
        }
        const parsed = parseSnapshotRecord(record);
        if (parsed?.kind === 'sku') states.set(parsed.sku, parsed.state);
        else if (parsed?.kind === 'checkpoint') committed = parsed.offset;
      }
      partitions.set(owner.partition, { owner, writer: new ArchiveWriter(store, codec), intent, states, archived: new Map(states), pending: new Map(), pendingEvents: 0, oldestPendingAt: null, lastOffset: committed, committed, flushing: Promise.resolve() });
      logger.info({ partition: owner.partition, streams: states.size, committed, declaredFiles: intent?.files.length ?? 0 }, 'archiver took a partition');
    },
    onSuspended: () => undefined,
    onResumed: () => undefined,
    onRevoked: (p) => {
      partitions.delete(p);
    },
    onBatch: async (records, owner) => {
      const partition = partitions.get(owner.partition)!;
      const events = await readSkuRecords(records, edge);
      for (const [i, record] of records.entries()) {
        const event = events[i];
        if (!event) {
          partition.lastOffset = record.offset;
          continue;
        }
        const state = partition.states.get(event.sku) ?? initialSkuState();
        // A duplicate applies nothing; a hole in the log is filled from the edge, as in every consumer.
        const due = await eventsToApply(state, event, edge);
        if (due.length === 0) {
          partition.lastOffset = record.offset;
          continue;
        }
        let next = state;
        const rows = partition.pending.get(event.sku) ?? [];
        for (const e of due) {
          const after = evolve(next, e);
          rows.push(archiveRow(e, next, after, e === event ? record : null));
          next = after;
        }
        partition.pending.set(event.sku, rows);
        partition.states.set(event.sku, next);
        partition.pendingEvents += due.length;
        partition.oldestPendingAt ??= Date.now();
        // Only once its event is pending: a flush meanwhile must not cover what it does not hold.
        partition.lastOffset = record.offset;
      }
      if (partition.pendingEvents >= options.flushEvents || (partition.oldestPendingAt !== null && Date.now() - partition.oldestPendingAt >= options.flushMs)) await flush(partition);
    },
  });

  const warn = (what: string, partition: Partition) => (error: unknown) =>
    logger.warn({ err: error, partition: partition.owner.partition }, `${what} failed; retried on the next tick`);
  // Quiet partitions still get their last events written (and their offsets committed).
  const flusher = setInterval(() => {
    for (const partition of partitions.values()) {
      const age = partition.oldestPendingAt === null ? 0 : Date.now() - partition.oldestPendingAt;
      const uncommitted = partition.lastOffset !== partition.committed;
      if (age >= options.flushMs || (uncommitted && partition.pendingEvents === 0)) flush(partition).catch(warn('archive flush', partition));
    }
  }, Math.max(100, Math.min(options.flushMs, 5_000)));
  flusher.unref();
  const snapshotter = options.snapshotEveryMs > 0 ? setInterval(() => {
    for (const partition of partitions.values()) snapshot(partition).catch(warn('snapshot', partition));
  }, options.snapshotEveryMs) : null;
  snapshotter?.unref();

  return {
    snapshotNow: async () => (await Promise.all([...partitions.values()].map(snapshot))).filter((key): key is string => key !== null),
    status: () => ({
      partitions: [...partitions.keys()].sort((a, b) => a - b),
      streams: [...partitions.values()].reduce((n, p) => n + p.states.size, 0),
      pendingEvents: [...partitions.values()].reduce((n, p) => n + p.pendingEvents, 0),
      oldestPendingAt: [...partitions.values()].reduce<number | null>((oldest, p) => (p.oldestPendingAt === null ? oldest : Math.min(oldest ?? Infinity, p.oldestPendingAt)), null),
      ...totals,
    }),
    stop: async () => {
      clearInterval(flusher);
      if (snapshotter) clearInterval(snapshotter);
      await Promise.all([...partitions.values()].map((p) => flush(p).catch(() => undefined)));
      await subscription.stop();
      await codec.close();
    },
  };
}
