import type { TopicSpec } from './port';

/**
 * The largest record batch a topic accepts (Kafka's `max.message.bytes`, set on every topic the
 * bridge creates): 1 MiB, the broker's default. The Kafka adapter refuses a record that cannot
 * fit under it before sending, so one oversized record fails only its own append.
 */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

/** Every committed SKU event, keyed by SKU: the source the read models and sagas replay. */
export const EVENTS_TOPIC = 'inventory.events';
/** Every event of the checkout coordinators, keyed by checkout id: joined with the SKU events by causal order. */
export const CHECKOUTS_TOPIC = 'inventory.checkouts';
/** The latest snapshot per SKU, so a rebuild need not start at offset 0. */
export const SNAPSHOTS_TOPIC = 'inventory.snapshots';
/**
 * The state of every WMS saga (latest per reservation) and its consumer's version per SKU, each in
 * the partition of its SKU's events, written by that partition's owner (docs/adr/0001-bridge-as-a-group.md).
 */
export const SAGAS_TOPIC = 'inventory.saga-state';
/**
 * Where a bridge from before the group kept saga state, keyed by saga rather than placed with its
 * SKU's events: read once per partition, into SAGAS_TOPIC, when a partition is first owned; never written.
 */
export const LEGACY_SAGAS_TOPIC = 'inventory.sagas';
/**
 * The warehouse feed's group (bridge/feed, docs/adr/0014-warehouse-feed-cursor.md): nothing is
 * written here; its partitions are what the group assigns, and a warehouse is followed by the
 * owner of the partition its id hashes to.
 */
export const FEED_CONTROL_TOPIC = 'inventory.feed-control';
/** Each warehouse's feed cursor (latest per warehouse), in its control partition, written by that partition's owner. */
export const FEED_STATE_TOPIC = 'inventory.feed-state';
/**
 * The archiver's table: per stream the state as far as archived, per partition the offset the
 * archive covers, written by the partition's owner only after the files holding those events are
 * in the bucket (docs/adr/0025-archive-and-snapshots-in-object-storage.md).
 */
export const ARCHIVE_STATE_TOPIC = 'inventory.archive-state';
/** Records a consumer could not handle, kept for the admin CLI. */
export const DLQ_TOPIC = 'inventory.dlq';

export const TOPICS: readonly TopicSpec[] = [
  // Bounded: Kafka may let its events go after EVENTS_RETENTION_MS, as the archive keeps them (issue 27).
  { name: EVENTS_TOPIC, kind: 'history', bounded: true },
  { name: CHECKOUTS_TOPIC, kind: 'history' },
  { name: SNAPSHOTS_TOPIC, kind: 'compacted' },
  { name: SAGAS_TOPIC, kind: 'compacted' },
  { name: FEED_CONTROL_TOPIC, kind: 'history' },
  { name: FEED_STATE_TOPIC, kind: 'compacted' },
  { name: ARCHIVE_STATE_TOPIC, kind: 'compacted' },
  { name: DLQ_TOPIC, kind: 'deadLetter' },
];
