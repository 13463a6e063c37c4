import { AllocationSagaSchema, type AllocationSaga, type SagaPhase } from '../../src/domain/allocation';
import type { VersionStore } from '../consumers/orderedEvents';
import type { EventLog, LogRecord } from '../eventLog/port';
import { SAGAS_TOPIC } from '../eventLog/topics';

const SAGA_KEY = 'saga:';
const CURSOR_KEY = 'cursor:';
/** Phases in which a saga may still issue commands; the others wait for events or are over. */
const RESTING: ReadonlySet<SagaPhase> = new Set(['allocated', 'done', 'stuck']);

/**
 * Nothing is left for the saga to do: `done` (released, and cancelled at the WMS if it might
 * hold), or `allocated` with the purchase completed (the units are sold; the reservation can no
 * longer expire or be cancelled by the buyer). An admin release of a completed purchase is the
 * one event that can still follow; the runner reopens a saga for it (see `reopen.ts`).
 */
export const isFinished = (saga: AllocationSaga): boolean => saga.phase === 'done' || (saga.phase === 'allocated' && saga.completed);

export type SagaStoreOptions = {
  /** How long a finished saga stays (for operators and late replies) before it is retired. */
  retentionMs: number;
  now?: () => number;
};

/**
 * Saga state and the saga consumer's version per SKU, in memory and in a compacted topic. Changes
 * are written in batches by `flush`, which the consumer awaits before its offsets are committed:
 * the state survives a crash at least as far as the events it was derived from.
 *
 * Bounded by live work (rule 8): a finished saga is retired after `retentionMs`, from memory and
 * from the topic (a tombstone, which compaction turns into nothing), so memory, `all()`,
 * `countByPhase()` and the next start's load cover the sagas in flight and the recently
 * finished, never every reservation ever made. What keeps a retired saga from starting again
 * is not the saga but the per-SKU cursor: the consumer skips every event at or below it, and a
 * tombstone is only written after the cursor that covers the saga's events.
 */
export class SagaStore {
  readonly #log: EventLog;
  readonly #retentionMs: number;
  readonly #now: () => number;
  readonly #sagas = new Map<string, AllocationSaga>();
  readonly #versions = new Map<string, number>();
  readonly #active = new Set<string>();
  /** Finished sagas by reservation id → when they finished, oldest first: the retirement queue. */
  readonly #finished = new Map<string, number>();
  #dirty = new Map<string, LogRecord>();
  #flushing: Promise<void> = Promise.resolve();

  private constructor(log: EventLog, options: SagaStoreOptions) {
    this.#log = log;
    this.#retentionMs = options.retentionMs;
    this.#now = options.now ?? Date.now;
  }

  /** Reads the whole compacted topic: the latest record per key wins, a tombstone deletes. */
  static async load(log: EventLog, options: SagaStoreOptions): Promise<SagaStore> {
    const store = new SagaStore(log, options);
    for (const record of await log.readAll(SAGAS_TOPIC)) {
      if (record.key.startsWith(CURSOR_KEY) && record.value !== null) store.#versions.set(record.key.slice(CURSOR_KEY.length), Number(record.value));
      else if (record.key.startsWith(SAGA_KEY)) {
        if (record.value === null) store.#forget(record.key.slice(SAGA_KEY.length));
        else store.#remember(AllocationSagaSchema.parse(JSON.parse(record.value)), null);
      }
    }
    // The retirement queue in finishing order (the topic holds them in partition order).
    const finished = [...store.#finished].sort((a, b) => a[1] - b[1]);
    store.#finished.clear();
    for (const [id, at] of finished) store.#finished.set(id, at);
    return store;
  }

  get(reservationId: string): AllocationSaga | undefined {
    return this.#sagas.get(reservationId);
  }

  put(saga: AllocationSaga): void {
    this.#remember(saga, this.#now());
    this.#dirty.set(SAGA_KEY + saga.reservationId, { key: SAGA_KEY + saga.reservationId, value: JSON.stringify(saga) });
  }

  /** The sagas in flight and those finished within the retention. */
  all(): IterableIterator<AllocationSaga> {
    return this.#sagas.values();
  }

  get size(): number {
    return this.#sagas.size;
  }

  /** Reservation ids of the sagas that may have a command due. */
  active(): string[] {
    return [...this.#active];
  }

  countByPhase(): Record<SagaPhase, number> {
    const counts = { allocating: 0, overdue: 0, confirming: 0, releasing: 0, cancelling: 0, allocated: 0, done: 0, stuck: 0 };
    for (const saga of this.#sagas.values()) counts[saga.phase]++;
    return counts;
  }

  /**
   * Retires the sagas finished more than the retention ago: forgotten now, tombstoned at the next
   * flush. Answers how many. The queue is in finishing order, so this stops at the first one kept.
   */
  retire(): number {
    const cutoff = this.#now() - this.#retentionMs;
    let retired = 0;
    for (const [reservationId, finishedAt] of this.#finished) {
      if (finishedAt > cutoff) break;
      this.#forget(reservationId);
      this.#dirty.set(SAGA_KEY + reservationId, { key: SAGA_KEY + reservationId, value: null });
      retired++;
    }
    return retired;
  }

  /** The saga consumer's checkpoint per SKU, flushed with the sagas it produced. */
  readonly versions: VersionStore = {
    get: async (sku) => this.#versions.get(sku) ?? 0,
    set: async (sku, version) => {
      this.#versions.set(sku, version);
      this.#dirty.set(CURSOR_KEY + sku, { key: CURSOR_KEY + sku, value: String(version) });
    },
  };

  /** Writes what changed since the last flush; concurrent calls are serialised and none returns before its changes are durable. */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.catch(() => undefined).then(() => this.#write());
    return this.#flushing;
  }

  get pendingWrites(): number {
    return this.#dirty.size;
  }

  async #write(): Promise<void> {
    if (this.#dirty.size === 0) return;
    const batch = this.#dirty;
    this.#dirty = new Map();
    try {
      // Sagas first, cursors after: a cursor must never be durable without the sagas it covers
      // (one append may reach some partitions and not others). Tombstones last: a retired saga
      // must not vanish before the cursor past its events is durable, or its events, read
      // again after a crash, would start it over.
      const records = [...batch.values()];
      const sagas = records.filter((r) => r.key.startsWith(SAGA_KEY) && r.value !== null);
      const cursors = records.filter((r) => r.key.startsWith(CURSOR_KEY));
      const tombstones = records.filter((r) => r.key.startsWith(SAGA_KEY) && r.value === null);
      for (const group of [sagas, cursors, tombstones]) if (group.length > 0) await this.#log.append(SAGAS_TOPIC, group);
    } catch (error) {
      // Newer changes made meanwhile win over the failed batch's.
      this.#dirty = new Map([...batch, ...this.#dirty]);
      throw error;
    }
  }

  /** `now` is when the change happened; null when loading, where a finished saga's own last update dates it. */
  #remember(saga: AllocationSaga, now: number | null): void {
    const id = saga.reservationId;
    this.#sagas.set(id, saga);
    if (RESTING.has(saga.phase)) this.#active.delete(id);
    else this.#active.add(id);
    if (!isFinished(saga)) this.#finished.delete(id);
    else if (!this.#finished.has(id)) this.#finished.set(id, now ?? saga.updatedAt);
  }

  #forget(reservationId: string): void {
    this.#sagas.delete(reservationId);
    this.#active.delete(reservationId);
    this.#finished.delete(reservationId);
  }
}
