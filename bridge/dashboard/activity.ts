import { skuOf } from '../../src/domain/sku';
import { WorstRelayLag } from '../ingest/relayLag';

/** The dashboard polls every second: its lag is the worst of the last two, whoever else looks. */
const LAG_WINDOW_MS = 2_000;

/**
 * What the dashboard follows: the SKUs most recently pushed (a shard counts for its SKU), and the
 * worst relay lag of the last two seconds (a window, so two open dashboards see the same). Bounded by `limit` whatever the history (invariant bounded-by-live-work).
 */
export class LiveActivity {
  readonly #skus = new Map<string, number>();
  readonly #lag = new WorstRelayLag(1, LAG_WINDOW_MS, 2);

  constructor(readonly limit = 20) {}

  pushed(stream: string, lagSeconds: number, at: number): void {
    const sku = skuOf(stream);
    // Re-inserted, so the map's order is recency: the first key is the longest quiet.
    this.#skus.delete(sku);
    this.#skus.set(sku, at);
    if (this.#skus.size > this.limit) this.#skus.delete(this.#skus.keys().next().value!);
    this.#lag.observe('', lagSeconds, at);
  }

  /** The followed SKUs, most recent first. */
  active(): string[] {
    return [...this.#skus.keys()].reverse();
  }

  /** The worst lag in the window ending at `now`; reading changes nothing. */
  worstLag(now: number): number {
    return this.#lag.worst(now).get('') ?? 0;
  }
}
