import type { Result } from '../core/result';
import { stamp, upcastTo, type EventHistories, type UpcastError } from '../core/schemaVersion';
import { CheckoutEventSchema, CheckoutRecordSchema, type CheckoutEvent, type CheckoutRecord } from './events';

type CheckoutEventType = CheckoutEvent['type'];

/** v1 of a line's release or completion did not name the SKU event it reported: unknown. */
const skuVersionUnknown = { steps: [(data: Record<string, unknown>) => ({ ...data, skuVersion: null })], unstamped: (data: Record<string, unknown>) => ('skuVersion' in data ? 2 : 1) };

/** Every checkout event type's history (`shard` came later without a version: absent means the SKU's own stream). */
export const CHECKOUT_EVENT_HISTORIES: EventHistories<CheckoutEventType, undefined> = {
  CheckoutStarted: { steps: [] },
  LineReserved: { steps: [] },
  LineRefused: { steps: [] },
  LineReleased: skuVersionUnknown,
  LineCompleted: skuVersionUnknown,
  CompletionRequested: { steps: [] },
  CancellationRequested: { steps: [] },
  CheckoutRetried: { steps: [] },
};

/** A checkout record as relayed by today's code: stamped with its type's current version. */
export const stampCheckoutRecord = (record: CheckoutRecord): CheckoutRecord & { schemaVersion: number } => stamp(CHECKOUT_EVENT_HISTORIES, record);

type Parsed<T> = Result<{ event: T; from: number }, UpcastError>;

/** A coordinator's logged event (`type`, `data`), of any version it ever had, in today's shape; pure. */
export const upcastCheckoutEvent = (raw: unknown): Parsed<CheckoutEvent> => upcastTo(CHECKOUT_EVENT_HISTORIES, CheckoutEventSchema, raw, undefined);
/** A record of `inventory.checkouts` (the event with its envelope), of any version, in today's shape; pure. */
export const upcastCheckoutRecord = (raw: unknown): Parsed<CheckoutRecord> => upcastTo(CHECKOUT_EVENT_HISTORIES, CheckoutRecordSchema, raw, undefined);
