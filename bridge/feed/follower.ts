import { homePartition } from '../eventLog/partitioner';
import type { ConsumedRecord, Subscription } from '../eventLog/port';
import { FEED_CONTROL_TOPIC, FEED_STATE_TOPIC } from '../eventLog/topics';
import { CURSOR_KEY, FeedCursorSchema, initialCursor, type FeedCursor } from './cursor';
import type { FeedOptions } from './options';
import type { Following } from './status';
import { WarehouseFeed } from './warehouseFeed';

export type { FeedOptions, OwnedWork } from './options';

export const FEED_GROUP = 'warehouse-feed';

export type RunningFeed = {
  /** The warehouses this replica follows now, live. */
  following(): Following[];
  /** The control partition a warehouse is followed by (the owner of it follows it). */
  partitionOf(warehouse: string): number;
  stop(): Promise<void>;
};

/**
 * Follows every warehouse's movement documents into the SKUs' stock (issue 22, ADR 0014): a
 * warehouse belongs to the partition of the feed's control topic its id hashes to, and only
 * that partition's owner follows it (invariant state-has-an-owner). Its cursor is restored on
 * assignment and committed through the owner, after the edge answered for every movement up to
 * it: a crash in between sends those movements again, which the edge counts once (idempotent by
 * the warehouse's sequence per location).
 */
export async function startFeed(options: FeedOptions): Promise<RunningFeed> {
  const { log, warehouses, logger } = options;
  // The control topic's partition count: 1 on the embedded log, KAFKA_PARTITIONS on Kafka.
  const partitions = Math.max(1, (await log.endOffsets(FEED_CONTROL_TOPIC)).size);
  const partitionOf = (warehouse: string) => homePartition(warehouse, partitions);
  const feeds = new Map<string, WarehouseFeed>();
  /** Loops of revoked partitions still finishing their call: a later ownership's loop starts after. */
  const ending = new Map<string, Promise<void>>();
  let stopping = false;

  const ofPartition = (partition: number) => [...feeds.values()].filter((feed) => feed.partition === partition);
  options.metrics.sources.feed = () =>
    [...feeds.values()].map((feed) => {
      const { warehouse, cursor, latest, state } = feed.status();
      return { warehouse, cursor: cursor.sequence, lag: latest === null ? null : Math.max(0, latest - cursor.sequence), stalled: state === 'stalled' || state === 'backing_off' };
    });

  const subscription: Subscription = await log.subscribeOwned({
    groupId: FEED_GROUP,
    topic: FEED_CONTROL_TOPIC,
    fromBeginning: true,
    stateTopics: [FEED_STATE_TOPIC],
    endpoint: options.endpoint,
    onAssigned: async (owner, restored) => {
      const cursors = cursorsOf(restored);
      for (const warehouse of warehouses.filter((w) => partitionOf(w.id) === owner.partition)) {
        const previous = feeds.get(warehouse.id);
        previous?.halt();
        const cursor = cursors.get(warehouse.id) ?? initialCursor(warehouse.id);
        // A loop of this replica's earlier ownership finishes before the new one starts.
        const earlier = previous?.done ?? ending.get(warehouse.id) ?? Promise.resolve();
        ending.delete(warehouse.id);
        feeds.set(warehouse.id, new WarehouseFeed(warehouse, owner, cursor, options, earlier));
      }
      const followed = ofPartition(owner.partition).map((f) => `${f.warehouse.id}@${f.status().cursor.sequence}`);
      if (followed.length > 0) logger.info({ partition: owner.partition, followed }, 'warehouse feed partition restored');
    },
    onSuspended: (partition) => ofPartition(partition).forEach((feed) => feed.halt()),
    onResumed: (partition) => {
      if (!stopping) ofPartition(partition).forEach((feed) => feed.start());
    },
    onRevoked: (partition) => {
      for (const feed of ofPartition(partition)) {
        feed.halt();
        feeds.delete(feed.warehouse.id);
        ending.set(feed.warehouse.id, feed.done);
      }
    },
    // Nothing is written to the control topic; should a record arrive, its offset is all there is to keep.
    onBatch: (records, owner) => owner.commit([], (BigInt(records.at(-1)!.offset) + 1n).toString()),
  });
  logger.info({ warehouses: warehouses.map((w) => ({ id: w.id, partition: partitionOf(w.id) })) }, 'warehouse feed group joined');

  return {
    following: () => [...feeds.values()].map((feed) => feed.status()),
    partitionOf,
    async stop() {
      stopping = true;
      const running = [...feeds.values()];
      running.forEach((feed) => feed.halt());
      // While the partitions are still ours: each loop commits what the edge has answered for.
      await Promise.all(running.map((feed) => feed.finished));
      await subscription.stop();
      options.metrics.sources.feed = () => [];
    },
  };
}

function cursorsOf(records: readonly ConsumedRecord[]): Map<string, FeedCursor> {
  const cursors = new Map<string, FeedCursor>();
  for (const record of records) {
    if (!record.key.startsWith(CURSOR_KEY)) continue;
    const cursor = FeedCursorSchema.parse(JSON.parse(record.value));
    cursors.set(cursor.warehouse, cursor);
  }
  return cursors;
}
