import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { z } from 'zod';
import { SkuStateSchema, type SkuState } from '../../src/domain/sku';
import { homePartition } from '../eventLog/partitioner';
import type { Logger } from '../logger';
import { parseSnapshotKey, snapshotKey, snapshotPrefix } from './keys';
import type { ObjectStore } from './objectStore';

/** The body of a snapshot in the bucket; `format` says how to read it (a later one is skipped, never misread). */
const StoredSnapshotSchema = z.object({
  format: z.literal(1),
  partitions: z.int().min(1),
  partition: z.int().min(0),
  /** The last offset of the events topic's partition the states cover: a rebuild resumes after it. */
  offset: z.string().regex(/^\d+$/),
  takenAt: z.iso.datetime(),
  states: z.array(SkuStateSchema),
});
export type StoredSnapshot = z.infer<typeof StoredSnapshotSchema>;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Writes the states of one partition as of `offset`; the key names the offset, the metadata the body's SHA-256. */
export async function putSnapshot(store: ObjectStore, snapshot: Omit<StoredSnapshot, 'format'>): Promise<string> {
  const body = gzipSync(JSON.stringify({ format: 1, ...snapshot }));
  const key = snapshotKey(snapshot);
  await store.put(key, body, { sha256: sha256(body), states: String(snapshot.states.length), offset: snapshot.offset });
  return key;
}

/** Why a stored snapshot was not used. */
export class SnapshotCorruptError extends Error {
  override readonly name = 'SnapshotCorruptError';
  constructor(readonly key: string, reason: string) {
    super(`snapshot ${key} is unusable: ${reason}`);
  }
}

/**
 * A snapshot read and verified: its bytes against the SHA-256 written with them, its body against
 * the schema, the partition and offset it says it covers against its key, and every state against
 * the partition (a state of another partition's SKU would be replayed on top of the wrong log).
 */
export async function readSnapshot(store: ObjectStore, key: string): Promise<StoredSnapshot> {
  const named = parseSnapshotKey(key);
  if (!named) throw new SnapshotCorruptError(key, 'not a snapshot key');
  const stored = await store.get(key);
  if (!stored) throw new SnapshotCorruptError(key, 'gone');
  if (stored.metadata.sha256 !== sha256(stored.body)) throw new SnapshotCorruptError(key, `checksum mismatch (metadata ${stored.metadata.sha256 ?? 'missing'})`);
  let snapshot: StoredSnapshot;
  try {
    snapshot = StoredSnapshotSchema.parse(JSON.parse(gunzipSync(stored.body).toString('utf8')));
  } catch (error) {
    throw new SnapshotCorruptError(key, `unreadable body: ${(error instanceof Error ? error.message : String(error)).slice(0, 200)}`);
  }
  if (snapshot.partitions !== named.partitions || snapshot.partition !== named.partition || snapshot.offset !== named.offset) {
    throw new SnapshotCorruptError(key, `says partition ${snapshot.partition}/${snapshot.partitions} at ${snapshot.offset}, its key ${named.partition}/${named.partitions} at ${named.offset}`);
  }
  const stray = snapshot.states.find((s) => s.sku === null || s.version < 1 || homePartition(s.sku, snapshot.partitions) !== snapshot.partition);
  if (stray) throw new SnapshotCorruptError(key, `holds ${stray.sku ?? 'a state without a SKU'} (version ${stray.version}), not of partition ${snapshot.partition}`);
  return snapshot;
}

export type LatestSnapshots = { byPartition: Map<number, StoredSnapshot>; skipped: { key: string; reason: string }[] };

/**
 * The newest usable snapshot of each partition: a corrupt one is skipped with a warning and the
 * one before it tried, down to none (the partition is then replayed from the archive alone).
 */
export async function latestSnapshots(store: ObjectStore, partitions: number, logger: Logger): Promise<LatestSnapshots> {
  const byPartition = new Map<number, StoredSnapshot>();
  const skipped: LatestSnapshots['skipped'] = [];
  await Promise.all(
    Array.from({ length: partitions }, async (_, partition) => {
      const keys: string[] = [];
      for await (const { key } of store.list(snapshotPrefix(partitions, partition))) if (parseSnapshotKey(key)) keys.push(key);
      for (const key of keys.sort().reverse()) {
        try {
          byPartition.set(partition, await readSnapshot(store, key));
          return;
        } catch (error) {
          if (!(error instanceof SnapshotCorruptError)) throw error;
          skipped.push({ key, reason: error.message });
          logger.warn({ key, reason: error.message }, 'corrupt snapshot skipped; trying the one before it');
        }
      }
    }),
  );
  return { byPartition, skipped };
}

/** States by stream, from the snapshots of every partition. */
export const statesOf = (snapshots: Iterable<StoredSnapshot>): Map<string, SkuState> =>
  new Map([...snapshots].flatMap((s) => s.states.map((state) => [state.sku!, state] as const)));
