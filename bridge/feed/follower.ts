import { EdgeAnswerError } from '../edge/client';
import { OwnershipLostError } from '../eventLog/errors';
import { homePartition } from '../eventLog/partitioner';
import type { ConsumedRecord, EventLog, PartitionOwner, Subscription } from '../eventLog/port';
import { FEED_CONTROL_TOPIC, FEED_STATE_TOPIC } from '../eventLog/topics';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { MovementsPage } from '../wms/client';
import type { Warehouse } from '../warehouses';
import { advance, commandOf, CURSOR_KEY, cursorKey, FeedCursorSchema, initialCursor, outOfOrder, type FeedCursor } from './cursor';
import type { FeedEdge, MovementCommand } from './edgeMovements';
import type { FeedError, FeedState, FeedStep, Following } from './status';
import { latestSequence, type WarehouseClients } from './warehouseClients';

export const FEED_GROUP = 'warehouse-feed';

export type FeedOptions = {
  log: EventLog;
  warehouses: readonly Warehouse[];
  edge: FeedEdge;
  clients: WarehouseClients;
  metrics: Metrics;
  logger: Logger;
  /** How the other replicas reach this one's admin API, advertised to the group. */
  endpoint: string;
  /** Between two reads once caught up. */
  pollMs: number;
  pageSize: number;
  /** Of every SOAP call. */
  callTimeoutMs: number;
  /** The pause after the first failure, doubling up to `backoffMaxMs`. */
  backoffFirstMs?: number;
  backoffMaxMs?: number;
  /**
   * Other work of a warehouse that only its follower does (the SAP stray sweep, bridge/sap/sweep.ts),
   * started and halted with the feed's loop; null: none for this warehouse.
   */
  ownedWork?: (warehouse: Warehouse, owner: PartitionOwner) => OwnedWork | null;
};

/** Work the follower of a warehouse runs beside its feed, for as long as it follows it. */
export type OwnedWork = {
  start(): void;
  /** Stops after the step in flight. */
  halt(): void;
  /** The step in flight, if any. */
  readonly done: Promise<void>;
};

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

/** One warehouse followed by this replica, for as long as it owns the warehouse's partition. */
class WarehouseFeed {
  readonly partition: number;
  done: Promise<void>;
  #cursor: FeedCursor;
  #committed: number;
  #latest: number | null = null;
  #state: FeedState = 'stopped';
  #error: FeedError | null = null;
  readonly #handled = { applied: 0, duplicate: 0, shipment: 0 };
  #halted = true;
  #wake: (() => void) | null = null;
  readonly #logger: Logger;
  readonly #work: OwnedWork | null;

  constructor(
    readonly warehouse: Warehouse,
    private readonly owner: PartitionOwner,
    cursor: FeedCursor,
    private readonly options: FeedOptions,
    previous: Promise<void>,
  ) {
    this.partition = owner.partition;
    this.#cursor = cursor;
    this.#committed = cursor.sequence;
    this.done = previous;
    this.#logger = options.logger.child({ warehouse: warehouse.id });
    this.#work = options.ownedWork?.(warehouse, owner) ?? null;
  }

  /** The loop and the owned work, both ended. */
  get finished(): Promise<void> {
    return Promise.all([this.done, this.#work?.done]).then(() => undefined);
  }

  status(): Following {
    return {
      warehouse: this.warehouse.id,
      partition: this.partition,
      state: this.#state,
      cursor: this.#cursor,
      committed: this.#committed,
      latest: this.#latest,
      lastError: this.#error,
      handled: { ...this.#handled },
    };
  }

  /** Starts following (again, after a suspension), once any earlier loop is over. */
  start(): void {
    if (!this.#halted) return;
    this.#halted = false;
    this.#work?.start();
    this.done = this.done.then(() => this.#run()).catch((error: unknown) => this.#logger.error({ err: error }, 'warehouse feed loop failed'));
  }

  /** Stops after the call in flight; what the edge answered for is still committed. */
  halt(): void {
    this.#halted = true;
    this.#work?.halt();
    this.#wake?.();
  }

  get #working(): boolean {
    return !this.#halted && this.owner.active;
  }

  async #run(): Promise<void> {
    this.#logger.info({ cursor: this.#cursor.sequence, partition: this.partition }, 'following the warehouse’s movements');
    this.#state = 'following';
    for (let failures = 0; this.#working; ) {
      const page = await this.#read();
      if (!page) {
        await this.#pause(++failures);
        continue;
      }
      failures = 0;
      if (page.movement.length === 0) {
        this.#latest = Math.max(this.#latest ?? 0, page.next);
        this.#set('caught_up');
        await this.#commit();
        await this.#sleep(this.options.pollMs);
        continue;
      }
      const disorder = outOfOrder(this.#cursor, page.movement);
      if (disorder) {
        this.#fail('warehouse', new Error(disorder), 'stalled');
        await this.#pause(Number.MAX_SAFE_INTEGER);
        continue;
      }
      this.#latest = Math.max(this.#latest ?? 0, page.movement.at(-1)!.sequence);
      // A full page: more may wait; the lag shown counts them.
      if (page.movement.length === this.options.pageSize) void this.#probeLatest();
      this.#set('following');
      for (const movement of page.movement) {
        const command = commandOf(this.warehouse.id, movement);
        if (command && !(await this.#deliver(movement.sku, command))) break;
        if (!command) this.#count('shipment');
        this.#cursor = advance(this.#cursor, movement);
      }
      await this.#commit();
    }
    // Suspended or halted: what was applied is committed while the partition is still ours.
    await this.#commit();
    this.#set('stopped');
  }

  async #read(): Promise<MovementsPage | null> {
    try {
      const client = await this.options.clients(this.warehouse.id);
      return await client.movements(this.#cursor.sequence, this.options.pageSize, this.options.callTimeoutMs);
    } catch (error) {
      this.#fail('warehouse', error, 'backing_off');
      return null;
    }
  }

  async #probeLatest(): Promise<void> {
    try {
      const latest = await latestSequence(await this.options.clients(this.warehouse.id), this.options.callTimeoutMs);
      this.#latest = Math.max(this.#latest ?? 0, latest);
    } catch {
      // The lag stays a lower bound until the next probe; the reads report the warehouse's faults.
    }
  }

  /**
   * Applies one movement at the edge, retrying until it answers (false: halted first). Never
   * skipped: a refusal (4xx, a sharded SKU say) holds the feed up, retried slowly, until fixed.
   */
  async #deliver(sku: string, command: MovementCommand): Promise<boolean> {
    for (let attempt = 1; this.#working; attempt++) {
      try {
        const result = await this.options.edge.movement(sku, command);
        this.#count(result.applied ? 'applied' : 'duplicate');
        if (result.shortfall) this.#logger.warn({ sku, document: command.document, location: command.location, shortfall: result.shortfall }, 'a warehouse movement left a location short: reservations re-sourced or released');
        this.#error = null;
        return true;
      } catch (error) {
        const refused = error instanceof EdgeAnswerError && error.status >= 400 && error.status < 500 && error.status !== 429 && error.status !== 401;
        this.#fail('edge', error, refused ? 'stalled' : 'backing_off', { sku, document: command.document, sequence: command.sequence });
        await this.#pause(refused ? Number.MAX_SAFE_INTEGER : attempt);
      }
    }
    return false;
  }

  /** Commits the cursor if it moved; a stale owner is refused (OwnershipLostError) and stops. */
  async #commit(): Promise<void> {
    if (this.#cursor.sequence === this.#committed) return;
    const cursor = { ...this.#cursor, committedAt: Date.now() };
    try {
      await this.owner.commit([{ topic: FEED_STATE_TOPIC, key: cursorKey(this.warehouse.id), value: JSON.stringify(cursor) }]);
      this.#cursor = cursor;
      this.#committed = cursor.sequence;
    } catch (error) {
      if (error instanceof OwnershipLostError) {
        this.#logger.warn({ cursor: cursor.sequence, committed: this.#committed }, 'feed cursor not committed: the partition is owned elsewhere now; the new owner resumes from the last committed cursor');
        this.halt();
        return;
      }
      // Kept in memory; the next commit carries it (movements are not read again meanwhile).
      this.#fail('log', error, this.#state);
    }
  }

  #count(outcome: 'applied' | 'duplicate' | 'shipment'): void {
    this.#handled[outcome]++;
    this.options.metrics.feedMovements.inc({ warehouse: this.warehouse.id, outcome });
  }

  #set(state: FeedState): void {
    if (state !== 'backing_off' && state !== 'stalled') this.#error = null;
    this.#state = state;
  }

  /** Records a failed step: logged at its first occurrence, every tenth, and when its message changes. */
  #fail(step: FeedStep, error: unknown, state: FeedState, context: Record<string, unknown> = {}): void {
    const message = error instanceof Error ? error.message.replace(/\s+/g, ' ') : String(error);
    const same = this.#error?.step === step && this.#error.message === message;
    const attempts = same ? this.#error!.attempts + 1 : 1;
    this.#error = { step, message, at: Date.now(), attempts };
    this.#state = state;
    this.options.metrics.feedFailures.inc({ warehouse: this.warehouse.id, step });
    if (attempts === 1 || attempts % 10 === 0) {
      const level = state === 'stalled' ? 'error' : 'warn';
      this.#logger[level]({ step, attempts, cursor: this.#cursor.sequence, ...context, error: message }, `warehouse feed ${state === 'stalled' ? 'stalled' : 'backing off'}: nothing is skipped, retrying`);
    }
  }

  /** The pause before retry `attempt` (1: the first); MAX_SAFE_INTEGER: the longest. */
  #pause(attempt: number): Promise<void> {
    const first = this.options.backoffFirstMs ?? 200;
    const max = this.options.backoffMaxMs ?? 10_000;
    return this.#sleep(Math.min(max, first * 2 ** Math.min(attempt - 1, 20)));
  }

  /** Waits, or less if halted meanwhile. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.#wake === done) this.#wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
    });
  }
}
