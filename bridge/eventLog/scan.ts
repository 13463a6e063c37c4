import { randomUUID } from 'node:crypto';
import type { ConsumedRecord, EventLog } from './port';

const SCAN_TIMEOUT_MS = 30_000;

/**
 * Reads a history or dead-letter topic from `startAt` (partition → offset; a partition not named
 * is skipped) up to the end offsets taken first, handing each batch to `onBatch` as it arrives,
 * which may say it has had enough. A throw-away reader that commits nothing: memory is one batch,
 * whatever the topic's size (invariant bounded-by-live-work), where `readAll` holds the whole topic.
 */
export async function scan(log: EventLog, topic: string, startAt: ReadonlyMap<number, string>, onBatch: (records: readonly ConsumedRecord[]) => Promise<'stop' | void> | 'stop' | void): Promise<void> {
  const ends = await log.endOffsets(topic);
  const pending = new Set([...startAt].filter(([p, from]) => BigInt(from) < BigInt(ends.get(p) ?? '0')).map(([p]) => p));
  if (pending.size === 0) return;
  // Partitions not asked for start at their end, so they deliver nothing.
  const positions = new Map([...ends].map(([p, end]) => [p, pending.has(p) ? startAt.get(p)! : end]));
  let finish!: () => void;
  let fail!: (error: unknown) => void;
  const finished = new Promise<void>((resolve, reject) => ((finish = resolve), (fail = reject)));
  const subscription = await log.subscribe({
    groupId: `bridge-scan-${randomUUID()}`,
    topic,
    fromBeginning: true,
    commit: false,
    startAt: positions,
    onBatch: async (batch) => {
      if (pending.size === 0) return;
      const wanted = batch.filter((r) => pending.has(r.partition) && BigInt(r.offset) < BigInt(ends.get(r.partition)!));
      for (const r of batch) if (BigInt(r.offset) >= BigInt(ends.get(r.partition)!) - 1n) pending.delete(r.partition);
      try {
        if (wanted.length > 0 && (await onBatch(wanted)) === 'stop') pending.clear();
      } catch (error) {
        pending.clear();
        fail(error);
        return;
      }
      if (pending.size === 0) finish();
    },
  });
  const timer = setTimeout(() => fail(new Error(`reading ${topic} did not reach its end within ${SCAN_TIMEOUT_MS} ms`)), SCAN_TIMEOUT_MS);
  try {
    await finished;
  } finally {
    clearTimeout(timer);
    await subscription.stop();
  }
}

/** Up to `limit` records of one partition from offset `from` on, and that partition's end offset. */
export async function readPage(log: EventLog, topic: string, partition: number, from: string, limit: number): Promise<ConsumedRecord[]> {
  const records: ConsumedRecord[] = [];
  await scan(log, topic, new Map([[partition, from]]), (batch) => {
    for (const record of batch) if (records.length < limit && BigInt(record.offset) >= BigInt(from)) records.push(record);
    return records.length >= limit ? 'stop' : undefined;
  });
  return records;
}
