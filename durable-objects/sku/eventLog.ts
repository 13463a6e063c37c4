import {
  emptyLedger,
  initialSkuState,
  record,
  type SkuEvent,
  type SkuState,
} from '../../src/domain/sku';
import { loadReservation, saveReservation } from './reservations';

type EventRow = { version: number; type: string; at: string; caused_by: string; data: string };

/** Events read per page when an object written by an older version builds its rows from its log. */
const BACKFILL_PAGE = 1_000;

/** Appends events and their outbox rows. Runs inside the command's transaction. */
export function appendEvents(sql: SqlStorage, events: readonly SkuEvent[], now: number): void {
  for (const e of events) {
    const reservationId = 'reservationId' in e.data ? e.data.reservationId : null;
    sql.exec(
      'INSERT INTO events (version, type, at, caused_by, data, reservation_id) VALUES (?, ?, ?, ?, ?, ?)',
      e.version, e.type, e.at, JSON.stringify(e.causedBy), JSON.stringify(e.data), reservationId,
    );
    sql.exec('INSERT INTO outbox (version, enqueued_at) VALUES (?, ?)', e.version, now);
  }
}

export const readEvents = (sql: SqlStorage, sku: string, after: number, limit: number): SkuEvent[] =>
  selectEvents(sql, sku, 'version > ? ORDER BY version LIMIT ?', after, limit);

/** The oldest events the bridge has not acknowledged yet, in order. */
export const readOutbox = (sql: SqlStorage, sku: string, limit: number): SkuEvent[] =>
  selectEvents(sql, sku, 'version IN (SELECT version FROM outbox ORDER BY version LIMIT ?) ORDER BY version', limit);

export const readReservationHistory = (sql: SqlStorage, sku: string, reservationId: string): SkuEvent[] =>
  selectEvents(sql, sku, 'reservation_id = ? ORDER BY version', reservationId);

function selectEvents(sql: SqlStorage, sku: string, where: string, ...bindings: SqlStorageValue[]): SkuEvent[] {
  return sql
    .exec<EventRow>(`SELECT version, type, at, caused_by, data FROM events WHERE ${where}`, ...bindings)
    .toArray()
    .map((row) => upcast(sql, toEvent(sku, row)));
}

const toEvent = (sku: string, row: EventRow): SkuEvent =>
  ({ type: row.type, sku, version: row.version, at: row.at, causedBy: JSON.parse(row.caused_by) as unknown, data: JSON.parse(row.data) as unknown }) as SkuEvent;

/**
 * Events written before completions carried their quantity and releases said whether the units
 * were sold are read in today's shape, from the reservation's row: its quantity never changes, and
 * a released row's `refundDue` is exactly whether it was completed first. The stored event is
 * never rewritten.
 */
function upcast(sql: SqlStorage, event: SkuEvent): SkuEvent {
  const legacy =
    (event.type === 'ReservationCompleted' && !('qty' in event.data)) ||
    (event.type === 'StockReleased' && !('refundDue' in event.data));
  if (!legacy) return event;
  const row = loadReservation(sql, event.data.reservationId);
  if (!row) return event;
  return event.type === 'ReservationCompleted'
    ? { ...event, data: { ...event.data, qty: row.qty } }
    : { ...event, data: { ...event.data, refundDue: row.refundDue } };
}

export function saveState(sql: SqlStorage, state: SkuState): void {
  sql.exec('INSERT OR REPLACE INTO sku_state (id, data) VALUES (1, ?)', JSON.stringify(state));
}

/**
 * Cold start reads one row of counters. An object last written by a version that kept whole-state
 * snapshots has no such row: it folds its log once, page by page, into the reservation rows.
 */
export function loadState(sql: SqlStorage, sku: string, transaction: (work: () => void) => void): SkuState {
  const row = sql.exec<{ data: string }>('SELECT data FROM sku_state WHERE id = 1').toArray()[0];
  if (row) return JSON.parse(row.data) as SkuState;
  const hasEvents = sql.exec('SELECT 1 FROM events LIMIT 1').toArray().length > 0;
  return hasEvents ? backfill(sql, sku, transaction) : initialSkuState();
}

function backfill(sql: SqlStorage, sku: string, transaction: (work: () => void) => void): SkuState {
  const ledger = emptyLedger();
  for (let page = readEvents(sql, sku, 0, BACKFILL_PAGE); page.length > 0; page = readEvents(sql, sku, ledger.state.version, BACKFILL_PAGE)) {
    for (const event of page) record(ledger, event);
  }
  transaction(() => {
    for (const r of ledger.reservations.values()) saveReservation(sql, r);
    saveState(sql, ledger.state);
  });
  return ledger.state;
}
