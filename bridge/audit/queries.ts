import { sqlTimestamp, type Window } from './window';

/**
 * The audit's questions, as SELECTs over the audit database's relations (database.ts). User input
 * is never spliced into the text: every value is a named parameter of the prepared statement.
 */
export type AuditQuery = { sql: string; params: Record<string, string> };

/** The filters of `inventory audit events`; every one given must hold. */
export type EventFilters = {
  sku?: string | undefined;
  window: Window;
  /** Every event of that customer's reservations (their customer from their StockReserved). */
  customer?: string | undefined;
  /** Events whose location, or whose effects on the counters, name it. */
  location?: string | undefined;
  /** Events citing that warehouse document, or that warehouse allocation id or reference. */
  document?: string | undefined;
};

export type TotalsFilters = { sku?: string | undefined; window: Window; location?: string | undefined };

/** Conditions and their parameters, added one filter at a time. */
export class Conditions {
  readonly #clauses: string[] = [];
  readonly params: Record<string, string> = {};

  /** `clause` names its value `$name`; skipped when the value is not given. */
  add(clause: string, name: string, value: string | undefined): this {
    if (value === undefined) return this;
    this.#clauses.push(clause);
    this.params[name] = value;
    return this;
  }

  /** `column` (occurred_at by default) within the window. */
  window(window: Window, column = 'occurred_at'): this {
    return this.add(`${column} >= CAST($from AS TIMESTAMP)`, 'from', window.from === null ? undefined : sqlTimestamp(window.from)).add(
      `${column} < CAST($to AS TIMESTAMP)`,
      'to',
      window.to === null ? undefined : sqlTimestamp(window.to),
    );
  }

  /** `WHERE …`, or nothing when no filter was given. */
  get where(): string {
    return this.#clauses.length === 0 ? '' : `WHERE ${this.#clauses.join(' AND ')}`;
  }
}

/** The columns of an event, in the order they are shown. */
export const EVENT_COLUMNS = ['occurred_at', 'sku', 'stream', 'version', 'type', 'reservation_id', 'customer_id', 'qty', 'location', 'reason', 'document', 'allocation'] as const;

/**
 * The events, oldest first. `customer_id` is filled on every row of a reservation (only its
 * StockReserved carries it); an AllocationConfirmed, which names neither, gets its reservation's
 * `qty` and `location` (where it was allocated: the units the warehouse will ship, and from where).
 */
export function eventsQuery(filters: EventFilters): AuditQuery {
  const conditions = new Conditions()
    .add('sku = $sku', 'sku', filters.sku)
    .window(filters.window)
    .add('coalesce(customer_id, reservation_customer) = $customer', 'customer', filters.customer)
    .add('(at_location = $location OR list_contains(list_transform(effects, lambda f: f.location), $location))', 'location', filters.location)
    .add('(document = $document OR allocation = $document)', 'document', filters.document);
  const sql = `
    SELECT occurred_at, sku, stream, version, type, reservation_id,
           coalesce(customer_id, reservation_customer) AS customer_id,
           CASE WHEN type = 'AllocationConfirmed' THEN reservation_qty ELSE qty END AS qty,
           at_location AS location, reason, document, allocation
    FROM placed
    ${conditions.where}
    ORDER BY occurred_at, stream, version`;
  return { sql, params: conditions.params };
}

/**
 * Per SKU and location, what the events did to the counters, summed over the SKU's streams (its
 * shards): over the whole archive, the objects' counters there (`on_hand`, `reserved`, `sold`;
 * `lent` nets out over the shards but for loans on their way). `events`: the events that moved
 * that location's counters; `last_versions`: each stream of the SKU and its last version read
 * (`SKU:12 SKU~1:5`), so a comparison with the objects also shows the archive is complete.
 */
export function totalsQuery(filters: TotalsFilters): AuditQuery {
  const rows = new Conditions().add('sku = $sku', 'sku', filters.sku).window(filters.window);
  const location = filters.location === undefined ? '' : 'WHERE location = $location';
  const sql = `
    WITH chosen AS (SELECT * FROM events ${rows.where}),
    streams AS (
      SELECT sku, string_agg(stream || ':' || last_version, ' ' ORDER BY stream) AS last_versions
      FROM (SELECT sku, stream, max(version) AS last_version FROM chosen GROUP BY sku, stream)
      GROUP BY sku
    ),
    sums AS (
      SELECT c.sku, f.location, count(*) AS events,
             sum(f.on_hand)::BIGINT AS on_hand, sum(f.reserved)::BIGINT AS reserved, sum(f.sold)::BIGINT AS sold, sum(f.lent)::BIGINT AS lent
      FROM chosen c, unnest(c.effects) AS u(f)
      GROUP BY c.sku, f.location
    )
    SELECT sums.sku, sums.location, events, on_hand, reserved, sold, lent, streams.last_versions
    FROM sums JOIN streams USING (sku)
    ${location}
    ORDER BY sums.sku, sums.location`;
  return { sql, params: filters.location === undefined ? rows.params : { ...rows.params, location: filters.location } };
}
