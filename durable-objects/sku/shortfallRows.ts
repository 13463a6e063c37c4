import { candidatesCovering, DEFAULT_LOCATION, type Reservation, type Shortfall } from '../../src/domain/sku';
import { toReservation, type Row } from './reservations';

/**
 * The rows a shortfall resolves: the location's held reservations, then its completed ones, each
 * newest first, read lazily by index (reservations_active_by_location) and only as many as cover
 * the units short. Rows of a SKU that named no location say NULL for the implicit `default`: that
 * location reads both and merges them, newest first.
 */
export function loadCandidates(sql: SqlStorage, { location, short }: Shortfall): Reservation[] {
  const rows = (status: 'held' | 'completed'): Iterable<Reservation> => {
    const named = atLocation(sql, 'location = ?', [location], status);
    return location === DEFAULT_LOCATION ? newestFirst(named, atLocation(sql, 'location IS NULL', [], status)) : named;
  };
  return candidatesCovering(rows('held'), rows('completed'), short);
}

function* atLocation(sql: SqlStorage, where: string, bindings: string[], status: string): Generator<Reservation> {
  const cursor = sql.exec<Row>(
    `SELECT * FROM reservations WHERE ${where} AND status = ? AND status <> 'released' ORDER BY reserved_at_version DESC`,
    ...bindings, status,
  );
  for (const row of cursor) yield toReservation(row);
}

/** Two newest-first sequences as one, still newest first, read no further than asked. */
function* newestFirst(a: Iterator<Reservation>, b: Iterator<Reservation>): Generator<Reservation> {
  let [x, y] = [a.next(), b.next()];
  while (!x.done || !y.done) {
    if (y.done || (!x.done && x.value.reservedAtVersion > y.value.reservedAtVersion)) {
      yield x.value as Reservation;
      x = a.next();
    } else {
      yield y.value;
      y = b.next();
    }
  }
}
