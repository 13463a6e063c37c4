/**
 * The bridge's only view of Kafka: topics of keyed records, appended durably, consumed by groups
 * that commit their offsets after their effects. Two adapters implement it (kafkajs, and an
 * embedded file-backed log for `npm start`) and pass one contract suite.
 */

/** What a topic is for decides its settings: an unbounded history, a latest-per-key table, or dead letters. */
export type TopicKind = 'history' | 'compacted' | 'deadLetter';
/**
 * `bounded`: this history may expire after `historyRetentionMs` (EVENTS_RETENTION_MS) because the
 * archive in object storage keeps it; any other history is kept forever (topicSettings.ts).
 */
export type TopicSpec = { name: string; kind: TopicKind; bounded?: boolean };

/**
 * How an existing topic differs from what the bridge needs (`topicSettings.ts` decides).
 * `refuse`: the bridge does not start (ordering or ownership would break); `warn`: it starts and says so.
 */
export type Severity = 'refuse' | 'warn';
export type TopicFinding = { severity: Severity; topic: string; setting: string; found: string; expected: string; message: string };

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

/**
 * State owned by an input partition (invariant state-has-an-owner, docs/adr/0001-bridge-as-a-group.md): kept in
 * compacted topics partitioned like the input, restored on assignment, written only by the
 * partition's current owner. Kafka: one transactional producer per partition, so a new owner's
 * start fences the last one, and state, offsets and nothing else commit together.
 */
export type OwnedSubscribe = {
  groupId: string;
  /** The input (a history topic); its partition numbers name the state's partitions. */
  topic: string;
  fromBeginning: boolean;
  /** Compacted topics with the input's partition count: a partition's state lives in the same partition number. */
  stateTopics: readonly string[];
  /** How other replicas reach this one (Kafka Streams' `application.server`), advertised to the group. */
  endpoint: string;
  /**
   * The partition is ours and no earlier owner can write any more: `restored` is its state (the
   * live records of its partition of every state topic). Resolves before any batch of it is delivered.
   */
  onAssigned(owner: PartitionOwner, restored: readonly ConsumedRecord[]): Promise<void>;
  /** Work on the partition stops now: a rebalance began (it may come back) or it went elsewhere. */
  onSuspended(partition: number): void;
  /** Work may start: the partition was acquired (restored and claimed) or kept through a rebalance. */
  onResumed(partition: number): void;
  /** Another replica owns it now: forget its state. */
  onRevoked(partition: number): void;
  /** A batch of one owned partition; the handler commits its state with `owner.commit(…, nextOffset)`. */
  onBatch(records: readonly ConsumedRecord[], owner: PartitionOwner): Promise<void>;
};

/** The only way to write a partition's state. */
export interface PartitionOwner {
  readonly partition: number;
  /** False once suspended, revoked or fenced. */
  readonly active: boolean;
  /**
   * Appends the records to this partition of their state topics and, when given, moves the group's
   * position in the input to `nextOffset`, atomically. Fails with OwnershipLostError once another
   * replica owns the partition; commits are serialised.
   */
  commit(records: readonly StateRecord[], nextOffset?: string): Promise<void>;
}
export type StateRecord = LogRecord & { topic: string };

/** A replica of a group as the group knows it: what it advertised and what it was assigned. */
export type GroupMember = { memberId: string; endpoint: string; partitions: number[] };

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
  /** A group member whose state is owned by the partitions it is assigned (see OwnedSubscribe). */
  subscribeOwned(options: OwnedSubscribe): Promise<Subscription>;
  /** The members of an owned group and their partitions; empty while it rebalances. */
  groupMembers(groupId: string, topic: string): Promise<GroupMember[]>;
  /**
   * Every record in the topic when called, in order per partition, read without a consumer group
   * (nothing committed, nothing left behind): how a compacted table is loaded at start. Of a
   * compacted topic, only the latest record of each key, and nothing of a key whose latest record
   * is a tombstone: the topic as after a full compaction (offsets still increase, with gaps).
   * Only committed records of transactions; `partitions`: of those partitions only.
   */
  readAll(topic: string, partitions?: ReadonlySet<number>): Promise<ConsumedRecord[]>;
  /** Whether the topic exists (a topic kept from an older version, say), without creating it. */
  hasTopic(topic: string): Promise<boolean>;
  /** Partition → the offset the next record will get: where a reader that started now would be done. */
  endOffsets(topic: string): Promise<Map<number, string>>;
  /** Partition → the oldest offset still held (above 0 once retention deleted older records): where a reader from the beginning starts. */
  startOffsets(topic: string): Promise<Map<number, string>>;
  health(): Promise<LogHealth>;
  close(): Promise<void>;
}
