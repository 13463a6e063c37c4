import { SkuStateSchema, type SkuState } from '../../src/domain/sku';
import type { EventLog, LogRecord } from '../eventLog/port';
import { EVENTS_TOPIC, SNAPSHOTS_TOPIC } from '../eventLog/topics';
import type { SkuStates } from './skuStates';

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
    if (record.key.startsWith(SKU_KEY)) skus.set(record.key.slice(SKU_KEY.length), SkuStateSchema.parse(JSON.parse(record.value)));
    else if (record.key.startsWith(CHECKPOINT_KEY)) checkpoints.set(Number(record.key.slice(CHECKPOINT_KEY.length)), record.value);
  }
  return { skus: [...skus.values()], checkpoints };
}

/** The offset to start each partition at: just after what the snapshots cover. */
export const resumeAfter = (checkpoints: ReadonlyMap<number, string>): Map<number, string> =>
  new Map([...checkpoints].map(([partition, offset]) => [partition, (BigInt(offset) + 1n).toString()]));

/**
 * The changed SKUs, and once the log has acknowledged them, the checkpoints they make true. Two
 * appends, not one: an append across partitions is not atomic (Kafka writes each partition's
 * records on their own), so in one append a checkpoint could be written while a state it covers
 * was not, and a rebuild from the snapshots would then skip that SKU's events. If the states'
 * append fails, no checkpoint is written; if the checkpoints' append fails, the states are merely
 * ahead of them (a rebuild replays a few events more, which it drops as duplicates).
 */
export async function publishSnapshots(log: EventLog, states: SkuStates, skus: Iterable<string>, covered: ReadonlyMap<number, string>): Promise<number> {
  const stateRecords: LogRecord[] = [];
  for (const sku of skus) stateRecords.push({ key: SKU_KEY + sku, value: JSON.stringify(states.get(sku)!) });
  const checkpointRecords: LogRecord[] = [...covered].map(([partition, offset]) => ({ key: CHECKPOINT_KEY + partition, value: offset }));
  if (stateRecords.length > 0) await log.append(SNAPSHOTS_TOPIC, stateRecords);
  if (checkpointRecords.length > 0) await log.append(SNAPSHOTS_TOPIC, checkpointRecords);
  return stateRecords.length + checkpointRecords.length;
}

/** The snapshot count, and the events after their checkpoints up to the log's end. */
export async function snapshotLag(log: EventLog): Promise<{ skus: number; lagEvents: number }> {
  const [{ skus, checkpoints }, ends] = await Promise.all([loadSnapshots(log), log.endOffsets(EVENTS_TOPIC)]);
  const start = resumeAfter(checkpoints);
  const lagEvents = [...ends].reduce((n, [partition, end]) => n + Math.max(0, Number(end) - Number(start.get(partition) ?? '0')), 0);
  return { skus: skus.length, lagEvents };
}
