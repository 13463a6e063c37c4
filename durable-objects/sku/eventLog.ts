import {
  emptyLedger,
  initialSkuState,
  record,
  reservationFacts,
  reservationView,
  skuEventVersion,
  skuOf,
  stampSkuEvent,
  upcastSkuEvent,
  type ReservationLookup,
  type SkuEvent,
  type SkuEventRecord,
  type SkuState,
} from '../../src/domain/sku';
import { err, ok } from '../../src/domain/core/result';
import type { Outcome } from '../../src/contract/outcome';
import { loadReservation, saveReservation } from './reservations';
import type { ReservationWithHistory } from './requests';

type EventRow = { version: number; type: string; at: string; caused_by: string; data: string; schema_version: number | null };

/** Events read per page when an object written by an older version builds its rows from its log. */
const BACKFILL_PAGE = 1_000;

/** Appends events and (unless the caller enqueues them itself) their outbox rows. Runs inside the command's transaction. */
export function appendEvents(sql: SqlStorage, events: readonly SkuEvent[], now: number, outbox = true): void {
  for (const e of events) {
    const reservationId = 'reservationId' in e.data ? e.data.reservationId : null;
    sql.exec(
      'INSERT INTO events (version, type, at, caused_by, data, reservation_id, schema_version) VALUES (?, ?, ?, ?, ?, ?, ?)',
      e.version, e.type, e.at, JSON.stringify(e.causedBy), JSON.stringify(e.data), reservationId, skuEventVersion(e.type),
    );
    if (outbox) sql.exec('INSERT INTO outbox (version, enqueued_at) VALUES (?, ?)', e.version, now);
  }
}

/** The outbox rows of versions `from`..`to` in one statement: a group commit's events are consecutive. */
export function enqueueVersions(sql: SqlStorage, from: number, to: number, now: number): void {
  sql.exec(
    'WITH RECURSIVE v(version) AS (SELECT ? UNION ALL SELECT version + 1 FROM v WHERE version < ?) INSERT INTO outbox (version, enqueued_at) SELECT version, ? FROM v',
    from, to, now,
  );
}

export const readEvents = (sql: SqlStorage, sku: string, after: number, limit: number): SkuEvent[] =>
  selectEvents(sql, sku, rowsOf(sql), 'version > ? ORDER BY version LIMIT ?', after, limit);

/** The oldest events the bridge has not acknowledged yet, in order, stamped with their version for the relay. */
export const readOutbox = (sql: SqlStorage, sku: string, limit: number): SkuEventRecord[] =>
  selectEvents(sql, sku, rowsOf(sql), 'version IN (SELECT version FROM outbox ORDER BY version LIMIT ?) ORDER BY version', limit).map(stampSkuEvent);

export const readReservationHistory = (sql: SqlStorage, sku: string, reservationId: string): SkuEvent[] =>
  selectEvents(sql, sku, rowsOf(sql), 'reservation_id = ? ORDER BY version', reservationId);

/**
 * Events are read in today's shape through the domain's upcasters, whatever version wrote them;
 * what an old version lacks comes from the reservation's row (`rows`). The stored event is never
 * rewritten.
 */
const selectEvents = (sql: SqlStorage, sku: string, rows: ReservationLookup, where: string, ...bindings: SqlStorageValue[]): SkuEvent[] =>
  selectRows(sql, where, ...bindings).map((row) => toEvent(sku, row, rows));

const selectRows = (sql: SqlStorage, where: string, ...bindings: SqlStorageValue[]): EventRow[] =>
  sql.exec<EventRow>(`SELECT version, type, at, caused_by, data, schema_version FROM events WHERE ${where}`, ...bindings).toArray();

function rowsOf(sql: SqlStorage): ReservationLookup {
  return (reservationId) => {
    const row = loadReservation(sql, reservationId);
    return row && reservationFacts(row);
  };
}

function toEvent(sku: string, row: EventRow, rows: ReservationLookup): SkuEvent {
  const raw = {
    type: row.type,
    ...(row.schema_version === null ? {} : { schemaVersion: row.schema_version }),
    sku,
    version: row.version,
    at: row.at,
    causedBy: JSON.parse(row.caused_by) as unknown,
    data: JSON.parse(row.data) as unknown,
  };
  const read = upcastSkuEvent(raw, rows);
  if (!read.ok) throw new Error(`event ${sku} v${row.version} cannot be read: ${read.error.message}`);
  return read.value.event;
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
  // A row written before a field existed (the sale policy, expiredUnits) reads with that field's default.
  if (row) return { ...initialSkuState(), ...(JSON.parse(row.data) as Partial<SkuState>) };
  const hasEvents = sql.exec('SELECT 1 FROM events LIMIT 1').toArray().length > 0;
  return hasEvents ? backfill(sql, sku, transaction) : initialSkuState();
}

function backfill(sql: SqlStorage, sku: string, transaction: (work: () => void) => void): SkuState {
  const ledger = emptyLedger();
  // The rows do not exist yet: an old event is upcast from the ledger's, as the fold has built them up to it.
  const rows: ReservationLookup = (reservationId) => {
    const r = ledger.reservations.get(reservationId);
    return r ? reservationFacts(r) : null;
  };
  const page = (after: number) => selectRows(sql, 'version > ? ORDER BY version LIMIT ?', after, BACKFILL_PAGE);
  for (let events = page(0); events.length > 0; events = page(ledger.state.version)) {
    for (const row of events) record(ledger, toEvent(sku, row, rows));
  }
  transaction(() => {
    for (const r of ledger.reservations.values()) saveReservation(sql, r);
    saveState(sql, ledger.state);
  });
  return ledger.state;
}

/** A customer's reservation with its events, or not found (another customer's is not theirs to read). */
export function reservationWithHistory(sql: SqlStorage, sku: string, reservationId: string, customerId: string): Outcome<ReservationWithHistory> {
  const r = loadReservation(sql, reservationId);
  if (!r || r.customerId !== customerId) return err({ code: 'reservation_not_found' });
  return ok({ ...reservationView(skuOf(sku), r), history: readReservationHistory(sql, sku, r.reservationId) });
}
