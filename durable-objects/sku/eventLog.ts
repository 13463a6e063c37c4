import { fold } from '../../src/domain/core/decider';
import { evolve, fromSnapshot, initialSkuState, toSnapshot, type SkuEvent, type SkuSnapshot, type SkuState } from '../../src/domain/sku';

type EventRow = { version: number; type: string; at: string; caused_by: string; data: string };

/** SQLite rows are capped at 2 MB; a large snapshot is split into chunks well below that. */
const SNAPSHOT_CHUNK_CHARS = 512 * 1024;
/** Older snapshots are superseded; one spare is kept in case the newest is ever unreadable. */
const SNAPSHOTS_KEPT = 2;

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
    .map((row) => toEvent(sku, row));
}

const toEvent = (sku: string, row: EventRow): SkuEvent =>
  ({ type: row.type, sku, version: row.version, at: row.at, causedBy: JSON.parse(row.caused_by), data: JSON.parse(row.data) }) as SkuEvent;

export function saveSnapshot(sql: SqlStorage, state: SkuState): void {
  const json = JSON.stringify(toSnapshot(state));
  const chunks = Math.max(1, Math.ceil(json.length / SNAPSHOT_CHUNK_CHARS));
  for (let i = 0; i < chunks; i++) {
    sql.exec(
      'INSERT OR REPLACE INTO snapshots (version, chunk, chunks, data) VALUES (?, ?, ?, ?)',
      state.version, i, chunks, json.slice(i * SNAPSHOT_CHUNK_CHARS, (i + 1) * SNAPSHOT_CHUNK_CHARS),
    );
  }
  sql.exec(
    'DELETE FROM snapshots WHERE version NOT IN (SELECT DISTINCT version FROM snapshots ORDER BY version DESC LIMIT ?)',
    SNAPSHOTS_KEPT,
  );
}

/** Cold start: the newest complete snapshot, then the events after it. */
export function loadState(sql: SqlStorage, sku: string): SkuState {
  const base = latestSnapshot(sql) ?? initialSkuState();
  return fold(evolve, base, readEvents(sql, sku, base.version, Number.MAX_SAFE_INTEGER));
}

function latestSnapshot(sql: SqlStorage): SkuState | null {
  const versions = sql.exec<{ version: number }>('SELECT DISTINCT version FROM snapshots ORDER BY version DESC').toArray();
  for (const { version } of versions) {
    const rows = sql
      .exec<{ chunks: number; data: string }>('SELECT chunks, data FROM snapshots WHERE version = ? ORDER BY chunk', version)
      .toArray();
    if (rows.length === 0 || rows.length !== rows[0]!.chunks) continue;
    return fromSnapshot(JSON.parse(rows.map((r) => r.data).join('')) as SkuSnapshot);
  }
  return null;
}
