import { contextFor, decide, emptyLedger, record, type SkuCommand, type SkuEvent, type SkuLedger } from '../../src/domain/sku';

/**
 * A small sale on one SKU decided by the domain itself, so every event is one an object would
 * write: stock at two locations, then `buyers` reservations, most bought, some cancelled, some
 * confirmed by the warehouse. `startMs` and `stepMs` place it in time (a sale can cross midnight).
 */
export function saleEvents(sku: string, buyers: number, { startMs = Date.parse('2026-12-06T23:59:00Z'), stepMs = 1_000 } = {}): { events: SkuEvent[]; ledger: SkuLedger } {
  const ledger = emptyLedger();
  const events: SkuEvent[] = [];
  let now = startMs;
  const run = (command: SkuCommand) => {
    now += stepMs;
    const result = decide(command, contextFor(ledger, command), now);
    if (!result.ok) return;
    for (const event of result.value) {
      record(ledger, event);
      events.push(event);
    }
  };
  run({ type: 'SetStock', data: { sku, onHand: buyers, location: 'AMS-1' } });
  run({ type: 'SetStock', data: { sku, onHand: Math.ceil(buyers / 2), location: 'FRA-1', priority: 1 } });
  for (let i = 0; i < buyers; i++) {
    const reservationId = `res_${sku}_${i}`;
    const customerId = `cust-${i % 7}`;
    run({ type: 'Reserve', data: { sku, reservationId, customerId, qty: 1 + (i % 2), ttlSeconds: 600 } });
    if (i % 3 === 0) run({ type: 'ConfirmAllocation', data: { reservationId, allocationId: `WMS-${i}` } });
    if (i % 5 === 4) run({ type: 'CancelReservation', data: { reservationId, customerId } });
    else if (i % 5 !== 3) run({ type: 'CompletePurchase', data: { reservationId, customerId } });
  }
  return { events, ledger };
}
