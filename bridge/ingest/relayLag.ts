/**
 * The SKUs whose relay lagged most since the last scrape, for `bridge_relay_lag_seconds{sku}`.
 *
 * Why not one series per SKU: a gauge set per SKU keeps every SKU ever relayed as a series
 * forever (rule 8: bounded by live work, not history), and it goes on showing a SKU's last lag
 * long after it stopped mattering. The distribution of every event's lag is already the
 * unlabelled histogram `bridge_commit_to_log_seconds`; what the SKU label adds is *which* SKUs
 * are slow. So only the `limit` worst SKUs of each scrape interval are kept (a bounded map; the
 * least lagging one is dropped when a worse one arrives), reported at the scrape and then
 * forgotten: at most `limit` series at a time, none stale.
 */
export class WorstRelayLag {
  readonly #lag = new Map<string, number>();

  constructor(readonly limit: number) {}

  observe(sku: string, seconds: number): void {
    const known = this.#lag.get(sku);
    if (known !== undefined) {
      if (seconds > known) this.#lag.set(sku, seconds);
      return;
    }
    if (this.#lag.size < this.limit) {
      this.#lag.set(sku, seconds);
      return;
    }
    // Full: the new SKU replaces the least lagging one if it lags more (a scan of `limit` entries).
    let least: string | null = null;
    for (const [key, lag] of this.#lag) if (least === null || lag < this.#lag.get(least)!) least = key;
    if (least !== null && seconds > this.#lag.get(least)!) {
      this.#lag.delete(least);
      this.#lag.set(sku, seconds);
    }
  }

  /** The worst lags since the last call, and a fresh interval. */
  take(): Map<string, number> {
    const taken = new Map(this.#lag);
    this.#lag.clear();
    return taken;
  }
}
