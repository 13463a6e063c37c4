import { evolve, initialSkuState, skuCounters, type SkuCounters, type SkuEvent, type SkuState } from '../../src/domain/sku';
import { readSkuRecords } from '../consumers/decodeEvent';
import { place } from '../consumers/sequencer';
import type { EdgeClient } from '../edge/client';
import type { ConsumedRecord } from '../eventLog/port';

/**
 * Every SKU's counters folded from the log with the domain's own `evolve`: O(1) per event and a
 * fixed size per SKU, whatever its history (the events carry what the counters need). Duplicates
 * are skipped; a hole is filled from the edge, as in every consumer.
 */
export class SkuStates {
  readonly #states = new Map<string, SkuState>();
  readonly #edge: EdgeClient;

  constructor(edge: EdgeClient) {
    this.#edge = edge;
  }

  load(snapshot: SkuState): void {
    this.#states.set(snapshot.sku!, snapshot);
  }

  /** Applies a record of the events topic; answers how many events that applied (0 for a duplicate or junk). */
  async apply(record: ConsumedRecord): Promise<number> {
    const [event] = await readSkuRecords([record], this.#edge);
    return event ? this.applyEvent(event) : 0;
  }

  /** Applies an event however read (the log, the archive): a duplicate is skipped, a hole filled from the edge. */
  async applyEvent(event: SkuEvent): Promise<number> {
    const state = this.#states.get(event.sku) ?? initialSkuState();
    const placement = place(state.version, event.version);
    if (placement === 'duplicate') return 0;
    const missing = placement === 'gap' ? await this.#edge.eventsBetween(event.sku, state.version, event.version) : [];
    let next = state;
    for (const e of missing) next = evolve(next, e);
    this.#states.set(event.sku, evolve(next, event));
    return missing.length + 1;
  }

  /** The SKU is folded elsewhere now (its partition went to another replica). */
  forget(sku: string): void {
    this.#states.delete(sku);
  }

  get(sku: string): SkuState | undefined {
    return this.#states.get(sku);
  }

  skus(): IterableIterator<string> {
    return this.#states.keys();
  }

  counters(sku: string): SkuCounters {
    return skuCounters(this.#states.get(sku)!);
  }

  get size(): number {
    return this.#states.size;
  }
}
