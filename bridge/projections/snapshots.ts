import { SkuStateSchema, type SkuState } from '../../src/domain/sku';
import type { EventLog, StateRecord } from '../eventLog/port';
import { EVENTS_TOPIC, SNAPSHOTS_TOPIC } from '../eventLog/topics';

const SKU_KEY = 'sku:';
const CHECKPOINT_KEY = 'checkpoint:';

/**
 * What the snapshots topic holds: the latest state per SKU, and per partition of the events
 * topic the offset every one of those states covers. A reader resumes after the checkpoints.
 */
export type Snapshots = { skus: SkuState[]; checkpoints: Map<number, string> };

export async function loadSnapshots(log: EventLog): Promise<Snapshots> {
  const skus = new Map<string, SkuState>();
  const checkpoints = new Map<number, string>();
  for (const record of await log.readAll(SNAPSHOTS_TOPIC)) {
    const snapshot = parseSnapshotRecord(record);
    if (snapshot?.kind === 'sku') skus.set(snapshot.sku, snapshot.state);
    else if (snapshot?.kind === 'checkpoint') checkpoints.set(snapshot.partition, snapshot.offset);
  }
  return { skus: [...skus.values()], checkpoints };
}

/** The offset to start each partition at: just after what the snapshots cover. */
export const resumeAfter = (checkpoints: ReadonlyMap<number, string>): Map<number, string> =>
  new Map([...checkpoints].map(([partition, offset]) => [partition, (BigInt(offset) + 1n).toString()]));

/** A SKU's state as its snapshot record (of the snapshots topic, or another table of states such as the archiver's). */
export const stateRecord = (sku: string, state: SkuState, topic = SNAPSHOTS_TOPIC): StateRecord => ({ topic, key: SKU_KEY + sku, value: JSON.stringify(state) });

/** The offset of the events topic's partition every state published with it covers. */
export const checkpointRecord = (partition: number, offset: string, topic = SNAPSHOTS_TOPIC): StateRecord => ({ topic, key: CHECKPOINT_KEY + partition, value: offset });

/** A record of the snapshots topic, read: a SKU's state, a checkpoint, or neither. */
export function parseSnapshotRecord(record: { key: string; value: string }): { kind: 'sku'; sku: string; state: SkuState } | { kind: 'checkpoint'; partition: number; offset: string } | null {
  if (record.key.startsWith(SKU_KEY)) return { kind: 'sku', sku: record.key.slice(SKU_KEY.length), state: SkuStateSchema.parse(JSON.parse(record.value)) };
  if (record.key.startsWith(CHECKPOINT_KEY)) return { kind: 'checkpoint', partition: Number(record.key.slice(CHECKPOINT_KEY.length)), offset: record.value };
  return null;
}

/** The snapshot count, and the events after their checkpoints up to the log's end. */
export async function snapshotLag(log: EventLog): Promise<{ skus: number; lagEvents: number }> {
  const [{ skus, checkpoints }, ends] = await Promise.all([loadSnapshots(log), log.endOffsets(EVENTS_TOPIC)]);
  const start = resumeAfter(checkpoints);
  const lagEvents = [...ends].reduce((n, [partition, end]) => n + Math.max(0, Number(end) - Number(start.get(partition) ?? '0')), 0);
  return { skus: skus.length, lagEvents };
}
