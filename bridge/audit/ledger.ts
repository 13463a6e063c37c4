import { Conditions, type AuditQuery } from './queries';
import { dayWindow } from './window';

export type LedgerFilters = { date: string; sku?: string | undefined; location?: string | undefined };

/** The ledger's columns, in the order they are shown. */
export const LEDGER_COLUMNS = ['sku', 'location', 'opening', 'receipts', 'adjustments', 'reservations', 'releases', 'sales', 'shipments', 'closing', 'documents'] as const;

/**
 * The daily stock ledger: one line per SKU and location for one UTC day, so finance can tie each
 * to the warehouses' documents. Stock is what the counters' effects say, summed over the SKU's
 * shards: on hand plus lent, so units on loan between shards count where they came from until
 * they arrive, and a loan (or a recall by shard 0) nets out even across midnight.
 *
 * - opening: stock before the day (every effect since the archive began).
 * - receipts: stock received that day: StockReceived, and StockMoved of a warehouse receipt.
 * - adjustments: every other change of stock that day: StockSet, counts, damages, repairs
 *   (the loans and recalls between shards net out to 0).
 * - closing: opening + receipts + adjustments (the stock after the day).
 * - reservations: units held that day (the StockReserved there).
 * - releases: units given back that day (StockReleased: cancelled, expired, refused, refunded).
 * - sales: the net change of units sold there that day: purchases completed, less refunds, plus
 *   or minus sold units re-sourced between locations (so it sums over locations to the SKU's).
 * - shipments: units the warehouse confirmed allocated that day (AllocationConfirmed, the
 *   reservation's quantity, at its location).
 * - documents: the warehouse documents and allocation ids/references cited that day.
 *
 * Shipments are allocations because the edge never sees a physical shipment: the warehouse's
 * shipment documents are not fed to it (their units were sold at the edge, by the reservation
 * whose allocation ships; docs/adr/0014-warehouse-feed-cursor.md). The warehouse's confirmed
 * allocation is the last fact the edge records of the units leaving, and it names the allocation
 * the warehouse's shipment document refers to.
 */
export function ledgerQuery(filters: LedgerFilters): AuditQuery {
  const day = dayWindow(filters.date);
  // Every row up to the day's end (its opening is all history before), and the day's own rows.
  const upToEnd = new Conditions().add('sku = $sku', 'sku', filters.sku).window({ from: null, to: day.to });
  const ofTheDay = new Conditions().add('sku = $sku', 'sku', filters.sku).window(day);
  const params = { ...ofTheDay.params, ...(filters.location === undefined ? {} : { location: filters.location }) };
  const sql = `
    WITH effects AS (
      SELECT e.sku, f.location, e.type, e.occurred_at >= CAST($from AS TIMESTAMP) AS today,
             e.type = 'StockReceived' OR (e.type = 'StockMoved' AND e.movement IS NOT DISTINCT FROM 'receipt') AS receipt,
             f.on_hand + f.lent AS stock, f.reserved, f.sold
      FROM events e, unnest(e.effects) AS u(f)
      ${upToEnd.where}
    ),
    counters AS (
      SELECT sku, location,
             sum(stock) FILTER (WHERE NOT today) AS opening,
             sum(stock) FILTER (WHERE today AND receipt) AS receipts,
             sum(stock) FILTER (WHERE today AND NOT receipt) AS adjustments,
             sum(reserved) FILTER (WHERE today AND type = 'StockReserved') AS reservations,
             sum(sold) FILTER (WHERE today) AS sales
      FROM effects GROUP BY sku, location
    ),
    today AS (SELECT * FROM placed ${ofTheDay.where}),
    flows AS (
      SELECT sku, at_location AS location,
             sum(qty) FILTER (WHERE type = 'StockReleased') AS releases,
             sum(reservation_qty) FILTER (WHERE type = 'AllocationConfirmed') AS shipments
      FROM today GROUP BY sku, at_location
    ),
    cited AS (
      SELECT sku, location, list(DISTINCT doc ORDER BY doc) AS documents
      FROM (SELECT sku, at_location AS location, unnest([document, allocation]) AS doc FROM today)
      WHERE doc IS NOT NULL GROUP BY sku, location
    ),
    lines AS (
      SELECT sku, location,
             coalesce(c.opening, 0)::BIGINT AS opening, coalesce(c.receipts, 0)::BIGINT AS receipts, coalesce(c.adjustments, 0)::BIGINT AS adjustments,
             coalesce(c.reservations, 0)::BIGINT AS reservations, coalesce(f.releases, 0)::BIGINT AS releases, coalesce(c.sales, 0)::BIGINT AS sales,
             coalesce(f.shipments, 0)::BIGINT AS shipments, coalesce(d.documents, []::VARCHAR[]) AS documents
      FROM (SELECT sku, location FROM counters UNION SELECT sku, location FROM flows UNION SELECT sku, location FROM cited) k
      LEFT JOIN counters c USING (sku, location)
      LEFT JOIN flows f USING (sku, location)
      LEFT JOIN cited d USING (sku, location)
    )
    SELECT sku, location, opening, receipts, adjustments, reservations, releases, sales, shipments,
           opening + receipts + adjustments AS closing, documents
    FROM lines
    WHERE (opening <> 0 OR receipts <> 0 OR adjustments <> 0 OR reservations <> 0 OR releases <> 0 OR sales <> 0 OR shipments <> 0 OR len(documents) > 0)
      ${filters.location === undefined ? '' : 'AND location = $location'}
    ORDER BY sku, location`;
  return { sql, params };
}
