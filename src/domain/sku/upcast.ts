import type { Result } from '../core/result';
import { currentVersion, stamp, upcastTo, type EventHistories, type UpcastError, type UpcastStep } from '../core/schemaVersion';
import { SkuEventSchema, type SkuEvent, type SkuEventType } from './events';
import type { Reservation } from './state';

/**
 * What an old SKU event lacks and its reservation's row knows: the quantity (it never changes)
 * and whether the units were bought before the event (a release of them is a refund).
 */
export type ReservationFacts = { qty: number; completed: boolean };
/** The facts of a reservation of this stream, or null when the reader has no row for it. */
export type ReservationLookup = (reservationId: string) => ReservationFacts | null;

/** A row's facts: a released row bought first says so by `refundDue`. */
export const reservationFacts = (r: Reservation): ReservationFacts => ({ qty: r.qty, completed: r.status === 'completed' || r.refundDue });

/** From the row the event names: null when there is none (or the record names none). */
const withFacts = (add: (facts: ReservationFacts) => Record<string, unknown>): UpcastStep<ReservationLookup> => (data, lookup) => {
  const facts = typeof data.reservationId === 'string' ? lookup(data.reservationId) : null;
  return facts && { ...data, ...add(facts) };
};

/**
 * Every SKU event type's history. v1 of ReservationCompleted had no `qty` and v1 of StockReleased
 * no `refundDue` (both added when counters became a fold of the event alone); StockSet's optional
 * `shards` came without a new version, an old StockSet being a valid new one (unsharded).
 */
export const SKU_EVENT_HISTORIES: EventHistories<SkuEventType, ReservationLookup> = {
  StockSet: { steps: [] },
  StockReceived: { steps: [] },
  StockReserved: { steps: [] },
  AllocationConfirmed: { steps: [] },
  ReservationCompleted: { steps: [withFacts(({ qty }) => ({ qty }))], unstamped: (data) => ('qty' in data ? 2 : 1) },
  StockReleased: { steps: [withFacts(({ completed }) => ({ refundDue: completed }))], unstamped: (data) => ('refundDue' in data ? 2 : 1) },
  StockLent: { steps: [] },
  StockBorrowed: { steps: [] },
  StockMoved: { steps: [] },
  StockShortfall: { steps: [] },
  ReservationResourced: { steps: [] },
};

/** The version new events of `type` are written at. */
export const skuEventVersion = (type: SkuEventType): number => currentVersion(SKU_EVENT_HISTORIES, type);

/** A SKU event as written by today's code (log, relay, Kafka): stamped with its current version. */
export type SkuEventRecord = SkuEvent & { schemaVersion: number };
export const stampSkuEvent = (event: SkuEvent): SkuEventRecord => stamp(SKU_EVENT_HISTORIES, event);

const noRows: ReservationLookup = () => null;

/**
 * A stored or streamed SKU event, of any version it ever had, as today's typed event; pure.
 * `rows` answers what old versions lack; a reader without rows gets `missing_facts` for them.
 */
export const upcastSkuEvent = (raw: unknown, rows: ReservationLookup = noRows): Result<{ event: SkuEvent; from: number }, UpcastError> =>
  upcastTo(SKU_EVENT_HISTORIES, SkuEventSchema, raw, rows);
