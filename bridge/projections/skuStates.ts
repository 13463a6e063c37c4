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
    const due = await eventsToApply(state, event, this.#edge);
    if (due.length > 0) this.#states.set(event.sku, due.reduce(evolve, state));
    return due.length;
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

/**
 * What applying `event` to `state` takes, in order: nothing for a duplicate, the event for the
 * next version, and for a hole the events the edge serves in between, then the event.
 */
export async function eventsToApply(state: SkuState, event: SkuEvent, edge: EdgeClient): Promise<SkuEvent[]> {
  const placement = place(state.version, event.version);
  if (placement === 'duplicate') return [];
  const missing = placement === 'gap' ? await edge.eventsBetween(event.sku, state.version, event.version) : [];
  return [...missing, event];
}
