import type { CheckoutRelayBatch, RelayBatch } from '../../src/contract/relayBatch';
import { stampCheckoutRecord } from '../../src/domain/checkout/upcast';
import { stampSkuEvent } from '../../src/domain/sku';
import type { LogRecord } from '../eventLog/port';

/** Keyed by SKU, so one partition holds a SKU's events in version order; each stamped with the version it is written at. */
export const toRecords = (batch: RelayBatch): LogRecord[] =>
  batch.events.map((event) => ({
    key: batch.sku,
    value: JSON.stringify(stampSkuEvent(event)),
    headers: { 'event-type': event.type, sku: event.sku, version: String(event.version) },
  }));

/** Keyed by checkout id, so one partition holds a checkout's events in version order. */
export const toCheckoutRecords = (batch: CheckoutRelayBatch): LogRecord[] =>
  batch.events.map((event) => ({
    key: batch.checkoutId,
    value: JSON.stringify(stampCheckoutRecord(event)),
    headers: { 'event-type': event.type, checkout: event.checkoutId, version: String(event.version) },
  }));
