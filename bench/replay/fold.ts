import type { EventLog } from '../../bridge/eventLog/port';
import { EVENTS_TOPIC } from '../../bridge/eventLog/topics';
import type { SkuStates } from '../../bridge/projections/skuStates';

/**
 * Reads the events topic from `startAt` (per partition; 0 where absent) up to the end offsets taken
 * now, folding every record into `states` as a rebuild does (SkuStates.apply: decode, dedupe by
 * version, evolve). Answers the records read.
 */
export async function foldLog(log: EventLog, states: SkuStates, startAt: ReadonlyMap<number, string> = new Map()): Promise<number> {
  const [ends, starts] = await Promise.all([log.endOffsets(EVENTS_TOPIC), log.startOffsets(EVENTS_TOPIC)]);
  // Below the log's start nothing is left to read (retention deleted it).
  const from = (p: number) => (BigInt(startAt.get(p) ?? '0') > BigInt(starts.get(p) ?? '0') ? BigInt(startAt.get(p) ?? '0') : BigInt(starts.get(p) ?? '0'));
  const remaining = new Set([...ends].filter(([p, end]) => BigInt(end) > from(p)).map(([p]) => p));
  if (remaining.size === 0) return 0;
  let read = 0;
  let failed: unknown = null;
  let done!: () => void;
  const caughtUp = new Promise<void>((resolve) => (done = resolve));
  const subscription = await log.subscribe({
    groupId: `bench-replay-${Date.now()}-${Math.random().toString(36).slice(2)}`,
    topic: EVENTS_TOPIC,
    fromBeginning: true,
    commit: false,
    startAt,
    onBatch: async (records) => {
      try {
        for (const record of records) {
          const end = BigInt(ends.get(record.partition) ?? '0');
          if (BigInt(record.offset) >= end) continue;
          read++;
          await states.apply(record);
          if (BigInt(record.offset) >= end - 1n) remaining.delete(record.partition);
        }
      } catch (error) {
        failed = error;
        done();
      }
      if (remaining.size === 0) done();
    },
  });
  try {
    await caughtUp;
  } finally {
    await subscription.stop();
  }
  if (failed instanceof Error) throw failed;
  if (failed) throw new Error('the fold failed');
  return read;
}
