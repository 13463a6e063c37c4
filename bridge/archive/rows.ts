import { DEFAULT_LOCATION, locationEffects, skuOf, type SkuEvent, type SkuState } from '../../src/domain/sku';
import type { Placement } from '../eventLog/port';

/**
 * One archived event as a Parquet row (issue 27): the fields finance and fraud query, typed, the
 * per-location effects (what it did to each location's counters, so sums tie to the objects'),
 * where it was in the log, and the event itself as written (read back through the upcasters).
 */
export type ArchiveRow = {
  sku: string;
  stream: string;
  version: number;
  type: SkuEvent['type'];
  occurred_at: string;
  reservation_id: string | null;
  customer_id: string | null;
  qty: number | null;
  location: string | null;
  reason: string | null;
  cause: string | null;
  warehouse: string | null;
  document: string | null;
  movement: string | null;
  allocation: string | null;
  effects: { location: string; on_hand: number; reserved: number; sold: number; lent: number }[];
  /** Null for an event the log did not deliver and the edge served (a hole filled). */
  log_partition: number | null;
  log_offset: string | null;
  event: string;
};

/** The DuckDB types of the columns, in order: the one schema the writer and every query share. */
export const ARCHIVE_COLUMNS = {
  sku: 'VARCHAR',
  stream: 'VARCHAR',
  version: 'BIGINT',
  type: 'VARCHAR',
  occurred_at: 'TIMESTAMP',
  reservation_id: 'VARCHAR',
  customer_id: 'VARCHAR',
  qty: 'BIGINT',
  location: 'VARCHAR',
  reason: 'VARCHAR',
  cause: 'VARCHAR',
  warehouse: 'VARCHAR',
  document: 'VARCHAR',
  movement: 'VARCHAR',
  allocation: 'VARCHAR',
  effects: 'STRUCT(location VARCHAR, on_hand BIGINT, reserved BIGINT, sold BIGINT, lent BIGINT)[]',
  log_partition: 'INTEGER',
  log_offset: 'BIGINT',
  event: 'VARCHAR',
} as const satisfies Record<keyof ArchiveRow, string>;

export function archiveRow(event: SkuEvent, before: SkuState, after: SkuState, placement: Pick<Placement, 'partition' | 'offset'> | null): ArchiveRow {
  const data = event.data as Record<string, unknown>;
  const cause = (data.cause ?? null) as { kind: string; warehouse?: string; document?: string; movement?: string } | null;
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  const qty = typeof data.qty === 'number' ? data.qty : event.type === 'StockMoved' ? event.data.delta : event.type === 'StockSet' ? event.data.onHand : null;
  return {
    sku: skuOf(event.sku),
    stream: event.sku,
    version: event.version,
    type: event.type,
    // Always with milliseconds (the schema admits other ISO forms): the one format the Parquet writer parses.
    occurred_at: new Date(event.at).toISOString(),
    reservation_id: text(data.reservationId),
    customer_id: text(data.customerId),
    qty,
    location: text(data.location) ?? (event.type === 'ReservationResourced' ? event.data.to : DEFAULT_LOCATION),
    reason: text(data.reason),
    cause: cause?.kind ?? null,
    warehouse: cause?.warehouse ?? null,
    document: cause?.document ?? null,
    movement: cause?.movement ?? null,
    allocation: text(data.allocationId) ?? text(data.reference),
    effects: locationEffects(before, after).map((e) => ({ location: e.location, on_hand: e.onHand, reserved: e.reserved, sold: e.sold, lent: e.lent })),
    log_partition: placement?.partition ?? null,
    log_offset: placement?.offset ?? null,
    event: JSON.stringify(event),
  };
}
