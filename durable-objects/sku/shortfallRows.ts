import { candidatesCovering, DEFAULT_LOCATION, type Reservation, type Shortfall } from '../../src/domain/sku';
import { toReservation, type Row } from './reservations';

/**
 * The rows a shortfall resolves: the location's held reservations, then its completed ones, each
 * newest first, read lazily by index and only as many as cover the units short. Rows of a SKU
 * that named no location say NULL for the implicit `default`.
 */
export function loadCandidates(sql: SqlStorage, { location, short }: Shortfall): Reservation[] {
  const rows = function* (status: 'held' | 'completed'): Generator<Reservation> {
    const cursor = sql.exec<Row>(
      `SELECT * FROM reservations WHERE (location = ? OR (? AND location IS NULL)) AND status = ? AND status <> 'released'
       ORDER BY reserved_at_version DESC`,
      location, location === DEFAULT_LOCATION ? 1 : 0, status,
    );
    for (const row of cursor) yield toReservation(row);
  };
  return candidatesCovering(rows('held'), rows('completed'), short);
}
