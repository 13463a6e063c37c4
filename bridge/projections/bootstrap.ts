import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { upcastSkuEvent } from '../../src/domain/sku';
import { ARCHIVE_PREFIX, coveredKey, parseArchiveKey, type ArchiveFile } from '../archive/keys';
import type { ObjectStore } from '../archive/objectStore';
import { ParquetCodec } from '../archive/parquet';
import { latestSnapshots, type LatestSnapshots } from '../archive/storedSnapshots';
import type { EventLog } from '../eventLog/port';
import { EVENTS_TOPIC } from '../eventLog/topics';
import type { Logger } from '../logger';
import type { SkuStates } from './skuStates';

/** Files read into DuckDB at once: bounded memory whatever the archive's size. */
const FILES_PER_READ = 64;
const DOWNLOADS = 8;

export type Bootstrapped = {
  /** Partition → the offset of the events topic to read on from (after its snapshot; 0 without one). */
  startAt: Map<number, string>;
  snapshotSkus: number;
  archiveFiles: number;
  archiveEvents: number;
  skipped: LatestSnapshots['skipped'];
};

/**
 * Loads `states` from object storage instead of the log's beginning (issue 27, ADR 0025): each
 * partition's newest sound snapshot, then every archived event after it (only the files whose key
 * names later versions are fetched). The log from `startAt` (after the snapshot, or after what the
 * archiver last marked covered) adds what the archive has not got yet; what both hold is a
 * duplicate by version, skipped. So a Kafka that let its oldest events go (bounded retention)
 * loses nothing the archive holds, and a new read model reads almost nothing of the log.
 */
export async function bootstrapFromArchive(
  { store, log, logger }: { store: ObjectStore; log: EventLog; logger: Logger },
  states: SkuStates,
  onProgress: (read: number) => void = () => undefined,
): Promise<Bootstrapped> {
  const partitions = (await log.endOffsets(EVENTS_TOPIC)).size;
  const snapshots = await latestSnapshots(store, partitions, logger);
  const startAt = new Map(Array.from({ length: partitions }, (_, p) => [p, '0'] as [number, string]));
  let snapshotSkus = 0;
  for (const [partition, snapshot] of snapshots.byPartition) {
    for (const state of snapshot.states) states.load(state);
    snapshotSkus += snapshot.states.length;
    startAt.set(partition, (BigInt(snapshot.offset) + 1n).toString());
  }

  // Where the archive covers a partition further than its snapshot, the log is read after that.
  for (const [partition, offset] of await archivedThrough(store, partitions)) {
    if (BigInt(offset) + 1n > BigInt(startAt.get(partition)!)) startAt.set(partition, (BigInt(offset) + 1n).toString());
  }

  const wanted: (ArchiveFile & { key: string })[] = [];
  for await (const { key } of store.list(ARCHIVE_PREFIX)) {
    const file = parseArchiveKey(key);
    if (file && file.to > (states.get(file.stream)?.version ?? 0)) wanted.push({ ...file, key });
  }
  // In each stream's version order; streams are independent of each other.
  wanted.sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : a.from - b.from));

  const dir = await mkdtemp(join(tmpdir(), 'inventory-bootstrap-'));
  const codec = await ParquetCodec.open();
  let archiveEvents = 0;
  try {
    for (let i = 0; i < wanted.length; i += FILES_PER_READ) {
      const chunk = wanted.slice(i, i + FILES_PER_READ);
      const paths = await download(store, chunk, dir);
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
  logger.info({ snapshots: snapshots.byPartition.size, snapshotSkus, skipped: snapshots.skipped.length, archiveFiles: wanted.length, archiveEvents }, 'read models bootstrapped from object storage');
  return { startAt, snapshotSkus, archiveFiles: wanted.length, archiveEvents, skipped: snapshots.skipped };
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
  const paths = files.map((_, i) => join(dir, `${i}.parquet`));
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(DOWNLOADS, files.length) }, async () => {
      for (let i = next++; i < files.length; i = next++) {
        const { key } = files[i]!;
        const object = await store.get(key);
        if (!object) throw new Error(`archive file ${key} vanished while read`);
        // Events cannot be skipped as a snapshot can: a damaged file stops the rebuild, named.
        if (object.metadata.sha256 !== undefined && object.metadata.sha256 !== createHash('sha256').update(object.body).digest('hex')) {
          throw new Error(`archive file ${key} does not match its checksum: restore it from the bucket's versions or a replica before rebuilding from the archive`);
        }
        await writeFile(paths[i]!, object.body);
      }
    }),
  );
  return paths;
}
