import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { upcastSkuEvent } from '../../src/domain/sku';
import { ARCHIVE_PREFIX, coveredKey, parseArchiveKey, type ArchiveFile } from '../archive/keys';
import type { ObjectStore } from '../archive/objectStore';
import { inTurns } from '../archive/inTurns';
import { ParquetCodec } from '../archive/parquet';
import { latestSnapshots, type LatestSnapshots } from '../archive/storedSnapshots';
import { homePartition } from '../eventLog/partitioner';
import type { EventLog } from '../eventLog/port';
import { EVENTS_TOPIC } from '../eventLog/topics';
import type { Logger } from '../logger';
import type { SkuStates } from './skuStates';

/** Files read into DuckDB at once: bounded memory whatever the archive's size. */
const FILES_PER_READ = 64;
/** Downloads at once: the files are small (a stream's events between two flushes), so latency, not bandwidth, bounds them. */
const DOWNLOADS = 32;

export type Bootstrapped = {
  /** Partition → the offset of the events topic to read on from (after its snapshot; 0 without one). */
  startAt: Map<number, string>;
  /** The partitions whose log no longer held what their snapshot does not cover: read from the archive. */
  archivePartitions: number[];
  /** Of those, the offset through which the archive covers each (its marker), where one was written. */
  covered: Map<number, string>;
  snapshotSkus: number;
  archiveFiles: number;
  archiveEvents: number;
  skipped: LatestSnapshots['skipped'];
  /** Where the time went: the snapshots and markers, listing the archive, reading the files wanted. */
  ms: { snapshots: number; list: number; archive: number };
};

/**
 * Loads `states` from object storage instead of the log's beginning (issue 27, ADR 0025): each
 * partition's newest sound snapshot; then, for a partition whose log let go of events after it
 * (bounded retention), every archived event after it (only the files whose key names later
 * versions are fetched). The log from `startAt` (after the snapshot, or after what the archiver
 * last marked covered) adds the rest; what both hold is a duplicate by version, skipped.
 */
export async function bootstrapFromArchive(
  { store, log, logger }: { store: ObjectStore; log: EventLog; logger: Logger },
  states: SkuStates,
  onProgress: (read: number) => void = () => undefined,
): Promise<Bootstrapped> {
  let mark = performance.now();
  const lap = () => {
    const now = performance.now();
    const ms = Math.round(now - mark);
    mark = now;
    return ms;
  };
  const partitions = (await log.endOffsets(EVENTS_TOPIC)).size;
  const snapshots = await latestSnapshots(store, partitions, logger);
  const startAt = new Map(Array.from({ length: partitions }, (_, p) => [p, '0'] as [number, string]));
  let snapshotSkus = 0;
  for (const [partition, snapshot] of snapshots.byPartition) {
    for (const state of snapshot.states) states.load(state);
    snapshotSkus += snapshot.states.length;
    startAt.set(partition, (BigInt(snapshot.offset) + 1n).toString());
  }

  // A partition whose log still holds everything after its snapshot is read from the log: one
  // fetch per partition beats a file per stream. The archive serves the partitions whose log let
  // go of events the snapshot does not cover (bounded retention); the log is read on after it.
  const logStarts = await log.startOffsets(EVENTS_TOPIC);
  const fromArchive = new Set([...startAt].filter(([p, from]) => BigInt(logStarts.get(p) ?? '0') > BigInt(from)).map(([p]) => p));
  const covered = fromArchive.size > 0 ? await archivedThrough(store, partitions) : new Map<number, string>();
  for (const partition of fromArchive) {
    const after = covered.get(partition);
    if (after !== undefined && BigInt(after) + 1n > BigInt(startAt.get(partition)!)) startAt.set(partition, (BigInt(after) + 1n).toString());
  }

  const snapshotsMs = lap();
  const wanted: (ArchiveFile & { key: string })[] = [];
  if (fromArchive.size > 0) {
    for await (const { key } of store.list(ARCHIVE_PREFIX)) {
      const file = parseArchiveKey(key);
      if (file && fromArchive.has(homePartition(file.stream, partitions)) && file.to > (states.get(file.stream)?.version ?? 0)) wanted.push({ ...file, key });
    }
  }
  // In each stream's version order; streams are independent of each other.
  wanted.sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : a.from - b.from));

  const listMs = lap();
  const dir = await mkdtemp(join(tmpdir(), 'inventory-bootstrap-'));
  const codec = await ParquetCodec.open();
  let archiveEvents = 0;
  try {
    // The next chunk downloads while this one is read and applied.
    const fetchChunk = (i: number) => (i < wanted.length ? download(store, wanted.slice(i, i + FILES_PER_READ), join(dir, String(i))) : null);
    let next = fetchChunk(0);
    for (let i = 0; next; i += FILES_PER_READ) {
      const paths = await next;
      next = fetchChunk(i + FILES_PER_READ);
      // Awaited in the next round; a failure before then must not count as unhandled.
      next?.catch(() => undefined);
      for (const row of await codec.readEvents(paths)) {
        const read = upcastSkuEvent(JSON.parse(row.event));
        if (!read.ok) throw new Error(`archived event ${row.stream} v${row.version} is unreadable: ${read.error.message}`);
        archiveEvents += await states.applyEvent(read.value.event);
      }
      await Promise.all(paths.map((path) => rm(path, { force: true })));
      onProgress(archiveEvents);
    }
  } finally {
    await codec.close();
    await rm(dir, { recursive: true, force: true });
  }
  const ms = { snapshots: snapshotsMs, list: listMs, archive: lap() };
  logger.info({ snapshots: snapshots.byPartition.size, snapshotSkus, skipped: snapshots.skipped.length, archiveFiles: wanted.length, archiveEvents, ms }, 'read models bootstrapped from object storage');
  return { startAt, archivePartitions: [...fromArchive].sort((a, b) => a - b), covered, snapshotSkus, archiveFiles: wanted.length, archiveEvents, skipped: snapshots.skipped, ms };
}

/** Partition → the offset through which the archiver committed (its marker); partitions without one are left out. */
async function archivedThrough(store: ObjectStore, partitions: number): Promise<Map<number, string>> {
  const covered = new Map<number, string>();
  await Promise.all(
    Array.from({ length: partitions }, async (_, partition) => {
      const marker = await store.get(coveredKey(partitions, partition));
      const offset = marker ? (JSON.parse(new TextDecoder().decode(marker.body)) as { offset?: unknown }).offset : undefined;
      if (typeof offset === 'string' && /^\d+$/.test(offset)) covered.set(partition, offset);
    }),
  );
  return covered;
}

async function download(store: ObjectStore, files: readonly { key: string }[], dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const paths = files.map((_, i) => join(dir, `${i}.parquet`));
  await inTurns(files, DOWNLOADS, async ({ key }, i) => {
    const object = await store.get(key);
    if (!object) throw new Error(`archive file ${key} vanished while read`);
    // Events cannot be skipped as a snapshot can: a damaged file stops the rebuild, named.
    if (object.metadata.sha256 !== undefined && object.metadata.sha256 !== createHash('sha256').update(object.body).digest('hex')) {
      throw new Error(`archive file ${key} does not match its checksum: restore it from the bucket's versions or a replica before rebuilding from the archive`);
    }
    await writeFile(paths[i]!, object.body);
  });
  return paths;
}
