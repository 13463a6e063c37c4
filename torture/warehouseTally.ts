import type { Folded } from './checkTypes';
import type { Warehouses } from './warehouses';

/** Per warehouse, what the run did there: reservations allocated at its sites at the end, and failovers (ADR 0019) away from and to them. */
export type WarehouseTally = { warehouse: string; allocated: number; failedOverFrom: number; failedOverTo: number };

export function warehouseTally(folded: readonly Folded[], warehouses: Warehouses): WarehouseTally[] {
  const rows = new Map(warehouses.all.map(({ warehouse }) => [warehouse, { warehouse, allocated: 0, failedOverFrom: 0, failedOverTo: 0 }]));
  const row = (location: string | null) => rows.get(warehouses.at(location).warehouse)!;
  for (const { log, reservations } of folded) {
    for (const r of reservations.values()) if (r.status !== 'released' && r.allocation === 'allocated') row(r.location).allocated++;
    for (const e of log) {
      if (e.type !== 'ReservationResourced' || e.data.reason === 'stock_shortfall') continue;
      row(e.data.from).failedOverFrom++;
      row(e.data.to).failedOverTo++;
    }
  }
  return [...rows.values()];
}
