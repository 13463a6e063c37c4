import { AllocationSagaSchema, type AllocationSaga, type SagaPhase } from '../../src/domain/allocation';
import type { VersionStore } from '../consumers/orderedEvents';
import type { ConsumedRecord, PartitionOwner, StateRecord } from '../eventLog/port';
import { SAGAS_TOPIC } from '../eventLog/topics';

const SAGA_KEY = 'saga:';
const CURSOR_KEY = 'cursor:';
/** Phases in which a saga may still issue commands; the others wait for events or are over. */
const RESTING: ReadonlySet<SagaPhase> = new Set(['allocated', 'done', 'stuck']);

/**
 * Nothing is left for the saga to do: no cancel left at a location the reservation left, and
 * `done` (released, and cancelled at the WMS if it might hold), or `allocated` with the purchase completed (the units are sold; the reservation can no
 * longer expire or be cancelled by the buyer). An admin release of a completed purchase is the
 * one event that can still follow; the runner reopens a saga for it (see `reopen.ts`).
 */
export const isFinished = (saga: AllocationSaga): boolean =>
  saga.leftBehind.length === 0 && (saga.phase === 'done' || (saga.phase === 'allocated' && saga.completed));

/** Resting, and no cancel left at a location the reservation left (ADR 0015). */
const isResting = (saga: AllocationSaga): boolean => RESTING.has(saga.phase) && saga.leftBehind.length === 0;

export type SagaStoreOptions = {
  /** How long a finished saga stays (for operators and late replies) before it is retired. */
  retentionMs: number;
  now?: () => number;
};

/** One owned partition's sagas and cursors, and what changed since its last commit. */
type Partition = {
  owner: PartitionOwner;
  sagas: Map<string, AllocationSaga>;
  versions: Map<string, number>;
  active: Set<string>;
  /** Finished sagas by reservation id → when they finished, oldest first: the retirement queue. */
  finished: Map<string, number>;
  dirty: Map<string, StateRecord>;
  committing: Promise<void>;
};

/**
 * The sagas of the partitions this replica owns (invariant state-has-an-owner, docs/adr/0001-bridge-as-a-group.md):
 * each saga and each SKU's consumer cursor lives in `inventory.saga-state` in the same partition
 * number as the SKU's events, is restored when that partition is assigned, forgotten when it is
 * revoked, and written only through the partition's owner (a transaction a stale owner cannot
 * commit), together with the input offset when a batch is done.
 *
 * Invariant bounded-by-live-work: a finished saga is retired after `retentionMs`, from memory and
 * from the topic (a tombstone, which compaction turns into nothing). What keeps a retired saga
 * from starting again is not the saga but the per-SKU cursor: the consumer skips every event at
 * or below it, and a tombstone commits with (or after) the cursor that covers the saga's events.
 */
export class SagaStore {
  readonly #retentionMs: number;
  readonly #now: () => number;
  readonly #partitions = new Map<number, Partition>();
  /** Reservation id → the partition its saga is in. */
  readonly #partitionOf = new Map<string, number>();

  constructor(options: SagaStoreOptions) {
    this.#retentionMs = options.retentionMs;
    this.#now = options.now ?? Date.now;
  }

  /** A partition assigned to this replica, with its records from the sagas topic (latest per key). */
  restore(owner: PartitionOwner, records: readonly ConsumedRecord[]): void {
    this.revoke(owner.partition);
    const partition: Partition = { owner, sagas: new Map(), versions: new Map(), active: new Set(), finished: new Map(), dirty: new Map(), committing: Promise.resolve() };
    this.#partitions.set(owner.partition, partition);
    const finished: AllocationSaga[] = [];
    for (const record of records) {
      if (record.key.startsWith(CURSOR_KEY)) partition.versions.set(record.key.slice(CURSOR_KEY.length), Number(record.value));
      else if (record.key.startsWith(SAGA_KEY)) {
        const saga = AllocationSagaSchema.parse(JSON.parse(record.value));
        if (isFinished(saga)) finished.push(saga);
        else this.#remember(owner.partition, saga, null);
      }
    }
    // The retirement queue in finishing order.
    for (const saga of finished.sort((a, b) => a.updatedAt - b.updatedAt)) this.#remember(owner.partition, saga, null);
  }

  /** The partition went to another replica: its sagas are that replica's business now. */
  revoke(partition: number): void {
    const state = this.#partitions.get(partition);
    if (!state) return;
    this.#partitions.delete(partition);
    for (const id of state.sagas.keys()) this.#partitionOf.delete(id);
  }

  /** The sagas of one owned partition. */
  sagasOf(partition: number): AllocationSaga[] {
    return [...(this.#partitions.get(partition)?.sagas.values() ?? [])];
  }

  /** Owned partitions, active or suspended. */
  partitions(): number[] {
    return [...this.#partitions.keys()].sort((a, b) => a - b);
  }

  /** Whether the saga's partition is owned and working (not suspended by a rebalance). */
  mayAct(reservationId: string): boolean {
    const partition = this.#partitionOf.get(reservationId);
    return partition !== undefined && this.#partitions.get(partition)!.owner.active;
  }

  get(reservationId: string): AllocationSaga | undefined {
    const partition = this.#partitionOf.get(reservationId);
    return partition === undefined ? undefined : this.#partitions.get(partition)!.sagas.get(reservationId);
  }

  /** `partition`: where a new saga goes (its SKU's events' partition); a known saga stays where it is. */
  put(saga: AllocationSaga, partition?: number): void {
    const p = this.#partitionOf.get(saga.reservationId) ?? partition;
    if (p === undefined || !this.#partitions.has(p)) throw new Error(`saga ${saga.reservationId} belongs to no partition this replica owns`);
    this.#remember(p, saga, this.#now());
    this.#partitions.get(p)!.dirty.set(SAGA_KEY + saga.reservationId, { topic: SAGAS_TOPIC, key: SAGA_KEY + saga.reservationId, value: JSON.stringify(saga) });
  }

  /** The sagas in flight and those finished within the retention, of every owned partition. */
  *all(): IterableIterator<AllocationSaga> {
    for (const partition of this.#partitions.values()) yield* partition.sagas.values();
  }

  get size(): number {
    let size = 0;
    for (const partition of this.#partitions.values()) size += partition.sagas.size;
    return size;
  }

  /** Reservation ids of the sagas that may have a command due. */
  active(): string[] {
    return [...this.#partitions.values()].flatMap((partition) => [...partition.active]);
  }

  countByPhase(): Record<SagaPhase, number> {
    const counts = { allocating: 0, overdue: 0, confirming: 0, releasing: 0, cancelling: 0, allocated: 0, done: 0, stuck: 0 };
    for (const saga of this.all()) counts[saga.phase]++;
    return counts;
  }

  /**
   * Retires the sagas finished more than the retention ago: forgotten now, tombstoned at the next
   * commit. Answers how many. Each queue is in finishing order, so this stops at the first one kept.
   */
  retire(): number {
    const cutoff = this.#now() - this.#retentionMs;
    let retired = 0;
    for (const partition of this.#partitions.values()) {
      for (const [reservationId, finishedAt] of partition.finished) {
        if (finishedAt > cutoff) break;
        this.#forget(partition, reservationId);
        partition.dirty.set(SAGA_KEY + reservationId, { topic: SAGAS_TOPIC, key: SAGA_KEY + reservationId, value: null });
        retired++;
      }
    }
    return retired;
  }

  /** The saga consumer's checkpoint per SKU of one partition, committed with the sagas it produced. */
  versionsOf(partition: number): VersionStore {
    const state = () => {
      const p = this.#partitions.get(partition);
      if (!p) throw new Error(`partition ${partition} is not owned here`);
      return p;
    };
    return {
      get: async (sku) => state().versions.get(sku) ?? 0,
      set: async (sku, version) => {
        const p = state();
        p.versions.set(sku, version);
        p.dirty.set(CURSOR_KEY + sku, { topic: SAGAS_TOPIC, key: CURSOR_KEY + sku, value: String(version) });
      },
    };
  }

  /**
   * Commits what changed in one partition (with the input's next offset when a batch is done), or
   * in every owned partition. Commits of a partition are serialised; none resolves before its
   * changes are durable. A failed commit's changes wait for the next one (newer ones win).
   */
  async flush(partition?: number, nextOffset?: string): Promise<void> {
    const targets = partition === undefined ? [...this.#partitions.keys()] : [partition];
    await Promise.all(targets.map((p) => this.#commit(p, nextOffset)));
  }

  get pendingWrites(): number {
    let pending = 0;
    for (const partition of this.#partitions.values()) pending += partition.dirty.size;
    return pending;
  }

  #commit(p: number, nextOffset: string | undefined): Promise<void> {
    const partition = this.#partitions.get(p);
    if (!partition) return Promise.resolve();
    const run = partition.committing.catch(() => undefined).then(async () => {
      if (partition.dirty.size === 0 && nextOffset === undefined) return;
      const batch = partition.dirty;
      partition.dirty = new Map();
      try {
        await partition.owner.commit([...batch.values()], nextOffset);
      } catch (error) {
        partition.dirty = new Map([...batch, ...partition.dirty]);
        throw error;
      }
    });
    partition.committing = run;
    return run;
  }

  /** `now` is when the change happened; null when restoring, where a finished saga's own last update dates it. */
  #remember(p: number, saga: AllocationSaga, now: number | null): void {
    const partition = this.#partitions.get(p)!;
    const id = saga.reservationId;
    partition.sagas.set(id, saga);
    this.#partitionOf.set(id, p);
    if (isResting(saga)) partition.active.delete(id);
    else partition.active.add(id);
    if (!isFinished(saga)) partition.finished.delete(id);
    else if (!partition.finished.has(id)) partition.finished.set(id, now ?? saga.updatedAt);
  }

  #forget(partition: Partition, reservationId: string): void {
    partition.sagas.delete(reservationId);
    partition.active.delete(reservationId);
    partition.finished.delete(reservationId);
    this.#partitionOf.delete(reservationId);
  }
}
