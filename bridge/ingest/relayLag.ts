/**
 * The SKUs whose relay lagged most over the last `windowMs`, for `bridge_relay_lag_seconds{sku}`.
 *
 * Why not one series per SKU: a gauge set per SKU keeps every SKU ever relayed as a series
 * forever (invariant bounded-by-live-work), and it goes on showing a SKU's last lag
 * long after it stopped mattering. The distribution of every event's lag is already the
 * unlabelled histogram `bridge_commit_to_log_seconds`; what the SKU label adds is *which* SKUs
 * are slow. So only the `limit` worst SKUs are kept, per time slot, and a read merges the slots
 * still inside the window: at most `slots × limit` entries, none stale. Reading changes nothing,
 * so two scrapers (or a scrape and a dashboard) see the same values (ADR 0003).
 */
export class WorstRelayLag {
  readonly #slotMs: number;
  /** A ring: slot `k` (time `k × slotMs` on) lives at `k % slots`, replaced when its turn comes again. */
  readonly #ring: { index: number; lag: Map<string, number> }[];

  constructor(
    readonly limit: number,
    readonly windowMs = 60_000,
    readonly slots = 6,
  ) {
    this.#slotMs = Math.max(1, Math.ceil(windowMs / slots));
    this.#ring = Array.from({ length: slots }, () => ({ index: -1, lag: new Map<string, number>() }));
  }

  observe(sku: string, seconds: number, now: number): void {
    const index = Math.floor(now / this.#slotMs);
    const slot = this.#ring[index % this.slots]!;
    if (slot.index !== index) {
      slot.index = index;
      slot.lag.clear();
    }
    keepWorst(slot.lag, sku, seconds, this.limit);
  }

  /** The worst lag of each of the `limit` worst SKUs in the window ending at `now`. */
  worst(now: number): Map<string, number> {
    const current = Math.floor(now / this.#slotMs);
    const merged = new Map<string, number>();
    for (const slot of this.#ring) {
      if (slot.index <= current - this.slots || slot.index > current) continue;
      for (const [sku, seconds] of slot.lag) keepWorst(merged, sku, seconds, this.limit);
    }
    return merged;
  }
}

/** `lag` holds at most `limit` entries: a new SKU replaces the least lagging one if it lags more (a scan of `limit`). */
function keepWorst(lag: Map<string, number>, sku: string, seconds: number, limit: number): void {
  const known = lag.get(sku);
  if (known !== undefined) {
    if (seconds > known) lag.set(sku, seconds);
    return;
  }
  if (lag.size < limit) {
    lag.set(sku, seconds);
    return;
  }
  let least: string | null = null;
  for (const [key, value] of lag) if (least === null || value < lag.get(least)!) least = key;
  if (least !== null && seconds > lag.get(least)!) {
    lag.delete(least);
    lag.set(sku, seconds);
  }
}
