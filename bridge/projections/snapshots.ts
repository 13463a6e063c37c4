import type { SkuState } from '../../src/domain/sku';
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
    if (record.key.startsWith(SKU_KEY)) skus.set(record.key.slice(SKU_KEY.length), JSON.parse(record.value) as SkuState);
    else if (record.key.startsWith(CHECKPOINT_KEY)) checkpoints.set(Number(record.key.slice(CHECKPOINT_KEY.length)), record.value);
  }
  return { skus: [...skus.values()], checkpoints };
}

/** The offset to start each partition at: just after what the snapshots cover. */
export const resumeAfter = (checkpoints: ReadonlyMap<number, string>): Map<number, string> =>
  new Map([...checkpoints].map(([partition, offset]) => [partition, (BigInt(offset) + 1n).toString()]));

/** One append: the changed SKUs first, then the checkpoints that they make true. */
export async function publishSnapshots(log: EventLog, states: SkuStates, skus: Iterable<string>, covered: ReadonlyMap<number, string>): Promise<number> {
  const records: LogRecord[] = [];
  for (const sku of skus) records.push({ key: SKU_KEY + sku, value: JSON.stringify(states.get(sku)!) });
  for (const [partition, offset] of covered) records.push({ key: CHECKPOINT_KEY + partition, value: offset });
  if (records.length > 0) await log.append(SNAPSHOTS_TOPIC, records);
  return records.length;
}

/** The snapshot count, and the events after their checkpoints up to the log's end. */
export async function snapshotLag(log: EventLog): Promise<{ skus: number; lagEvents: number }> {
  const [{ skus, checkpoints }, ends] = await Promise.all([loadSnapshots(log), log.endOffsets(EVENTS_TOPIC)]);
  const start = resumeAfter(checkpoints);
  const lagEvents = [...ends].reduce((n, [partition, end]) => n + Math.max(0, Number(end) - Number(start.get(partition) ?? '0')), 0);
  return { skus: skus.length, lagEvents };
}
