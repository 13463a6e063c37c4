import { AllocationSagaSchema, type AllocationSaga, type SagaPhase } from '../../src/domain/allocation';
import type { VersionStore } from '../consumers/orderedEvents';
import type { EventLog, LogRecord } from '../eventLog/port';
import { SAGAS_TOPIC } from '../eventLog/topics';

const SAGA_KEY = 'saga:';
const CURSOR_KEY = 'cursor:';
/** Phases in which a saga may still issue commands; the others wait for events or are over. */
const RESTING: ReadonlySet<SagaPhase> = new Set(['allocated', 'done', 'stuck']);

/**
 * Saga state and the saga consumer's version per SKU, in memory and in a compacted topic. Changes
 * are written in batches by `flush`, which the consumer awaits before its offsets are committed:
 * the state survives a crash at least as far as the events it was derived from.
 */
export class SagaStore {
  readonly #log: EventLog;
  readonly #sagas = new Map<string, AllocationSaga>();
  readonly #versions = new Map<string, number>();
  readonly #active = new Set<string>();
  #dirty = new Map<string, LogRecord>();
  #flushing: Promise<void> = Promise.resolve();

  private constructor(log: EventLog) {
    this.#log = log;
  }

  /** Reads the whole compacted topic: the latest record per key wins. */
  static async load(log: EventLog): Promise<SagaStore> {
    const store = new SagaStore(log);
    for (const record of await log.readAll(SAGAS_TOPIC)) {
      if (record.key.startsWith(CURSOR_KEY)) store.#versions.set(record.key.slice(CURSOR_KEY.length), Number(record.value));
      else if (record.key.startsWith(SAGA_KEY)) store.#remember(AllocationSagaSchema.parse(JSON.parse(record.value)));
    }
    return store;
  }

  get(reservationId: string): AllocationSaga | undefined {
    return this.#sagas.get(reservationId);
  }

  put(saga: AllocationSaga): void {
    this.#remember(saga);
    this.#dirty.set(SAGA_KEY + saga.reservationId, { key: SAGA_KEY + saga.reservationId, value: JSON.stringify(saga) });
  }

  all(): IterableIterator<AllocationSaga> {
    return this.#sagas.values();
  }

  /** Reservation ids of the sagas that may have a command due. */
  active(): string[] {
    return [...this.#active];
  }

  countByPhase(): Record<SagaPhase, number> {
    const counts = { allocating: 0, confirming: 0, releasing: 0, cancelling: 0, allocated: 0, done: 0, stuck: 0 };
    for (const saga of this.#sagas.values()) counts[saga.phase]++;
    return counts;
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
      // (one append may reach some partitions and not others).
      const records = [...batch.values()];
      const sagas = records.filter((r) => r.key.startsWith(SAGA_KEY));
      if (sagas.length > 0) await this.#log.append(SAGAS_TOPIC, sagas);
      const cursors = records.filter((r) => r.key.startsWith(CURSOR_KEY));
      if (cursors.length > 0) await this.#log.append(SAGAS_TOPIC, cursors);
    } catch (error) {
      // Newer changes made meanwhile win over the failed batch's.
      this.#dirty = new Map([...batch, ...this.#dirty]);
      throw error;
    }
  }

  #remember(saga: AllocationSaga): void {
    this.#sagas.set(saga.reservationId, saga);
    if (RESTING.has(saga.phase)) this.#active.delete(saga.reservationId);
    else this.#active.add(saga.reservationId);
  }
}
