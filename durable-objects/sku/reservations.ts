import type { Reservation } from '../../src/domain/sku';

/**
 * Reservations as rows of an indexed table: a projection of the log written in the same
 * transaction as the events, so it is always in step with them and can be rebuilt from them.
 * Every query here touches the rows it needs by index, never the whole table.
 */
export type Row = {
  reservation_id: string;
  customer_id: string;
  qty: number;
  expires_at: number;
  status: Reservation['status'];
  allocation: Reservation['allocation'];
  allocation_id: string | null;
  allocation_reference: string | null;
  release_reason: Reservation['releaseReason'];
  refund_due: number;
  reserved_at_version: number;
  version: number;
  location: string | null;
  resourcings: number;
};

export const toReservation = (row: Row): Reservation => ({
  reservationId: row.reservation_id,
  customerId: row.customer_id,
  qty: row.qty,
  expiresAt: new Date(row.expires_at).toISOString(),
  status: row.status,
  allocation: row.allocation,
  allocationId: row.allocation_id,
  allocationReference: row.allocation_reference,
  releaseReason: row.release_reason,
  refundDue: row.refund_due === 1,
  reservedAtVersion: row.reserved_at_version,
  version: row.version,
  location: row.location,
  resourcings: row.resourcings,
});

export function loadReservation(sql: SqlStorage, reservationId: string): Reservation | null {
  const row = sql.exec<Row>('SELECT * FROM reservations WHERE reservation_id = ?', reservationId).toArray()[0];
  return row ? toReservation(row) : null;
}

export function saveReservation(sql: SqlStorage, r: Reservation): void {
  sql.exec(
    `INSERT OR REPLACE INTO reservations (reservation_id, customer_id, qty, expires_at, status, allocation, allocation_id,
       release_reason, refund_due, reserved_at_version, version, location, resourcings, allocation_reference) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    r.reservationId, r.customerId, r.qty, Date.parse(r.expiresAt), r.status, r.allocation, r.allocationId,
    r.releaseReason, r.refundDue ? 1 : 0, r.reservedAtVersion, r.version, r.location, r.resourcings, r.allocationReference,
  );
}

/** Units the customer holds or bought and still has: a sum over that customer's active rows only. */
export const activeUnitsOf = (sql: SqlStorage, customerId: string): number =>
  sql.exec<{ units: number }>(
    "SELECT coalesce(sum(qty), 0) AS units FROM reservations WHERE customer_id = ? AND status <> 'released'", customerId,
  ).one().units;

/** The customers holding most units now, at most `limit`: one pass over the live holds (their partial index). */
export const topHolders = (sql: SqlStorage, limit: number): { customerId: string; units: number }[] =>
  sql
    .exec<{ customer_id: string; units: number }>(
      "SELECT customer_id, sum(qty) AS units FROM reservations WHERE status = 'held' GROUP BY customer_id ORDER BY units DESC, customer_id LIMIT ?", limit,
    )
    .toArray()
    .map((r) => ({ customerId: r.customer_id, units: r.units }));

/** The held reservations due by `now`, soonest first, at most `limit`: one bounded chunk of expiries. */
export const dueReservations = (sql: SqlStorage, now: number, limit: number): string[] =>
  sql
    .exec<{ reservation_id: string }>(
      "SELECT reservation_id FROM reservations WHERE status = 'held' AND expires_at <= ? ORDER BY expires_at LIMIT ?", now, limit,
    )
    .toArray()
    .map((row) => row.reservation_id);

/** When the next held reservation lapses (the partial index's first entry), or null if none is held. */
export const nextExpiry = (sql: SqlStorage): number | null =>
  sql.exec<{ at: number | null }>("SELECT min(expires_at) AS at FROM reservations WHERE status = 'held'").one().at;
