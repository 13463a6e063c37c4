import type { SkuEvent } from '../../src/domain/sku';
import { saleEvents } from '../../test/support/saleEvents';

/**
 * `events` events over `skus` SKUs, each SKU's log decided by the domain (a sale at two
 * locations: reservations, purchases, cancellations, warehouse confirmations), so every event
 * is one an object would write. The SKUs' logs are interleaved as a sale's traffic would put them in
 * the log: round-robin, a few events at a time.
 */
export function generateHistory(events: number, skus: number): SkuEvent[][] {
  const perSku = Math.ceil(events / skus);
  const logs: SkuEvent[][] = [];
  let left = events;
  for (let i = 0; i < skus; i++) {
    const sku = `REPLAY-${String(i).padStart(5, '0')}`;
    // ~2.1 events per buyer; the sale is cut to the SKU's share.
    const { events: log } = saleEvents(sku, Math.ceil(perSku / 1.9), { startMs: Date.parse('2026-12-07T08:00:00Z') + i, stepMs: 20 });
    const take = Math.min(perSku, left, log.length);
    if (take < Math.min(perSku, left)) throw new Error(`the sale of ${sku} gave ${log.length} events, fewer than its share ${perSku}`);
    logs.push(log.slice(0, take));
    left -= take;
  }
  return logs;
}

/** The logs interleaved `chunk` events of each SKU at a time: the order the events topic receives them. */
export function* interleave(logs: readonly SkuEvent[][], chunk = 8): Generator<SkuEvent[]> {
  for (let at = 0; logs.some((l) => at < l.length); at += chunk) {
    yield logs.flatMap((l) => l.slice(at, at + chunk));
  }
}
