import { skuOf } from '../../src/domain/sku';

/*
 * Where things live in the bucket (issue 27, docs/adr/0025-archive-and-snapshots-in-object-storage.md).
 * Hive-style partitions, so any engine that reads Parquet by path prunes by date and SKU; the
 * numbers are zero-padded, so key order is version and offset order.
 */

export const ARCHIVE_PREFIX = 'events/';
export const SNAPSHOTS_PREFIX = 'snapshots/';

const VERSION_DIGITS = 12;
const OFFSET_DIGITS = 20;
const pad = (n: number | bigint | string, digits: number) => String(n).padStart(digits, '0');

/** One archive file: the events `from..to` (inclusive) of one stream, all of one UTC day. */
export type ArchiveFile = { date: string; sku: string; stream: string; from: number; to: number };

/** The key names the versions the file covers, so writing it again writes the same key (idempotent) and a reader picks files by key alone. */
export const archiveKey = ({ date, stream, from, to }: Omit<ArchiveFile, 'sku'>): string =>
  `${archivePrefix(date, stream)}v${pad(from, VERSION_DIGITS)}-v${pad(to, VERSION_DIGITS)}.parquet`;

/** Every file of one stream on one day. */
export const archivePrefix = (date: string, stream: string): string => `${ARCHIVE_PREFIX}date=${date}/sku=${skuOf(stream)}/stream=${stream}/`;

const ARCHIVE_KEY = /^events\/date=(\d{4}-\d{2}-\d{2})\/sku=([^/]+)\/stream=([^/]+)\/v(\d+)-v(\d+)\.parquet$/;

export function parseArchiveKey(key: string): ArchiveFile | null {
  const m = ARCHIVE_KEY.exec(key);
  if (!m) return null;
  const [, date, sku, stream, from, to] = m as unknown as [string, string, string, string, string, string];
  return { date, sku, stream, from: Number(from), to: Number(to) };
}

/** A snapshot of one partition of the events topic: every state it holds, as of `offset` (the last offset they cover). */
export type SnapshotFile = { partitions: number; partition: number; offset: string };

/** Under the partition count: partition numbers mean nothing under another count. */
export const snapshotPrefix = (partitions: number, partition: number): string => `${SNAPSHOTS_PREFIX}partitions=${partitions}/partition=${pad(partition, 3)}/`;

export const snapshotKey = ({ partitions, partition, offset }: SnapshotFile): string => `${snapshotPrefix(partitions, partition)}offset=${pad(offset, OFFSET_DIGITS)}.json.gz`;

const SNAPSHOT_KEY = /^snapshots\/partitions=(\d+)\/partition=(\d+)\/offset=(\d+)\.json\.gz$/;

export function parseSnapshotKey(key: string): SnapshotFile | null {
  const m = SNAPSHOT_KEY.exec(key);
  return m ? { partitions: Number(m[1]), partition: Number(m[2]), offset: BigInt(m[3]!).toString() } : null;
}

/**
 * How far the archive covers one partition of the events topic: every event at or below the
 * offset it holds is in a file. The one key rewritten, after each commit (a marker, not the
 * archive), so a reader that trusts it reads the log only after it.
 */
export const coveredKey = (partitions: number, partition: number): string => `archived/partitions=${partitions}/partition=${pad(partition, 3)}.json`;

/** The UTC day of an event's time: the archive's date partition. */
export const dayOf = (at: string): string => at.slice(0, 10);
