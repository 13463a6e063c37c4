import { skuOf } from '../../src/domain/sku';

/**
 * What the dashboard follows: the SKUs most recently pushed (a shard counts for its SKU), and the
 * worst relay lag since the dashboard last asked. Bounded by `limit` whatever the history (rule 8).
 */
export class LiveActivity {
  readonly #skus = new Map<string, number>();
  #worstLagSeconds = 0;

  constructor(readonly limit = 20) {}

  pushed(stream: string, lagSeconds: number, at: number): void {
    const sku = skuOf(stream);
    // Re-inserted, so the map's order is recency: the first key is the longest quiet.
    this.#skus.delete(sku);
    this.#skus.set(sku, at);
    if (this.#skus.size > this.limit) this.#skus.delete(this.#skus.keys().next().value!);
    this.#worstLagSeconds = Math.max(this.#worstLagSeconds, lagSeconds);
  }

  /** The followed SKUs, most recent first. */
  active(): string[] {
    return [...this.#skus.keys()].reverse();
  }

  /** The worst lag since the last call, and a fresh interval. */
  takeWorstLag(): number {
    const worst = this.#worstLagSeconds;
    this.#worstLagSeconds = 0;
    return worst;
  }
}
