import { pino } from 'pino';
import { loadConfig } from '../bridge/config';
import { decodeSkuEvent } from '../bridge/consumers/decodeEvent';
import { createEventLog } from '../bridge/eventLog';
import type { ConsumedRecord, EventLog } from '../bridge/eventLog/port';
import { EVENTS_TOPIC } from '../bridge/eventLog/topics';
import { TORTURE_SECRET, type TortureSystem } from './system';

/** Partition → end offset of the events topic at one moment. */
export type Cut = ReadonlyMap<number, string>;

/**
 * Where the mid-run rebuild cut the log: it replays up to the end offsets it reads when it starts,
 * which lie between `before` (read before it was asked for) and `after` (read once its replay was
 * over). `generation`: the shadow it built and switched to.
 */
export type RebuildCut = { generation: string; before: Cut; after: Cut };

async function withLog<T>(system: TortureSystem, use: (log: EventLog) => Promise<T>): Promise<T> {
  const log = createEventLog(loadConfig({ KAFKA_BROKERS: system.broker.brokers, INTERNAL_SECRET: TORTURE_SECRET, LOG_LEVEL: 'silent' }), pino({ level: 'silent' }));
  try {
    return await use(log);
  } finally {
    await log.close();
  }
}

export const recordCut = (system: TortureSystem): Promise<Cut> => withLog(system, (log) => log.endOffsets(EVENTS_TOPIC));

/** Every record of the events topic, with where it sits: what the Kafka and rebuild checks read. */
export const readEventsTopic = (system: TortureSystem): Promise<ConsumedRecord[]> => withLog(system, (log) => log.readAll(EVENTS_TOPIC));

/** Each SKU's newest version among the records below the cut: what a replay up to it has seen. */
export function versionsBelow(records: readonly ConsumedRecord[], cut: Cut): Map<string, number> {
  const versions = new Map<string, number>();
  for (const record of records) {
    if (BigInt(record.offset) >= BigInt(cut.get(record.partition) ?? '0')) continue;
    const event = decodeSkuEvent(record);
    if (event) versions.set(event.sku, Math.max(versions.get(event.sku) ?? 0, event.version));
  }
  return versions;
}
