/**
 * The bridge's only view of Kafka: topics of keyed records, appended durably, consumed by groups
 * that commit their offsets after their effects. Two adapters implement it (kafkajs, and an
 * embedded file-backed log for `npm start`) and pass one contract suite.
 */
import type { TopicFinding } from './topicSettings';

/** What a topic is for decides its settings: an unbounded history, a latest-per-key table, or dead letters. */
export type TopicKind = 'history' | 'compacted' | 'deadLetter';
export type TopicSpec = { name: string; kind: TopicKind };

/**
 * A record as appended. `value: null` is Kafka's tombstone, for compacted topics only: compaction
 * deletes its key, and after a while (Kafka's delete.retention.ms) the tombstone itself.
 */
export type LogRecord = { key: string; value: string | null; headers?: Record<string, string> };
/** Where a record was read from. */
export type Placement = { topic: string; partition: number; offset: string; timestamp: number };
/**
 * A record as read: never a tombstone. Tombstones go to compacted topics only, which are not
 * subscribed to but loaded with readAll, and readAll leaves them out.
 */
export type ConsumedRecord = { key: string; value: string; headers?: Record<string, string> } & Placement;
/** A record of a compacted topic as stored before compaction, maybe a tombstone: how an adapter reads a table it then compacts. */
export type ConsumedTableRecord = LogRecord & Placement;

/** Subscriptions are to history and dead-letter topics; a compacted topic is a table, loaded with readAll. */
export type Subscribe = {
  groupId: string;
  topic: string;
  /** Where a group without a committed offset starts. */
  fromBeginning: boolean;
  /**
   * Records in log order per partition (so per key). The offsets are committed only after it
   * resolves; if it throws, the same records are delivered again.
   */
  onBatch: (records: readonly ConsumedRecord[]) => Promise<void>;
  /** False for a throw-away reader that must leave no committed position behind. Default true. */
  commit?: boolean;
  /** Partition → offset to start at instead of the group's position (a rebuild from snapshots). */
  startAt?: ReadonlyMap<number, string>;
};

export type Subscription = { stop(): Promise<void> };

export type LogHealth = { ok: boolean; adapter: 'kafka' | 'embedded'; detail: string };

export interface EventLog {
  /**
   * Creates missing topics with the settings of their kind and checks existing ones against them
   * (topicSettings.ts): rejects with a TopicSettingsError naming every mismatch that would break
   * ordering or ownership, and resolves with the lesser ones, which the adapter has logged.
   */
  ensureTopics(specs: readonly TopicSpec[]): Promise<readonly TopicFinding[]>;
  /** Resolves only once every record is durable (Kafka: acknowledged by all in-sync replicas). */
  append(topic: string, records: readonly LogRecord[]): Promise<void>;
  subscribe(options: Subscribe): Promise<Subscription>;
  /**
   * Every record in the topic when called, in order per partition, read without a consumer group
   * (nothing committed, nothing left behind): how a compacted table is loaded at start. Of a
   * compacted topic, only the latest record of each key, and nothing of a key whose latest record
   * is a tombstone: the topic as after a full compaction (offsets still increase, with gaps).
   */
  readAll(topic: string): Promise<ConsumedRecord[]>;
  /** Partition → the offset the next record will get: where a reader that started now would be done. */
  endOffsets(topic: string): Promise<Map<number, string>>;
  health(): Promise<LogHealth>;
  close(): Promise<void>;
}
