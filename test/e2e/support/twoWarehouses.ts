import type { WmsClient, WmsRecord } from '../../../bridge/wms/client';
import { parseReference, type AllocationSaga } from '../../../src/domain/allocation';
import type { SkuLedger } from '../../../src/domain/sku';

/**
 * The checks of the two-warehouse spec (issue 23) that read both warehouses at once: where each
 * reservation's units are held, under which reference, and never at two warehouses at rest.
 */

/** The simulators' faults hit every read too: asked again until it answers. */
export async function listDespiteFaults(wms: WmsClient, attempts = 30): Promise<WmsRecord[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await wms.list(5_000);
    } catch (error) {
      if (attempt >= attempts) throw error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

export type Held = { warehouse: string; record: WmsRecord };

/**
 * Each reservation the edge counts allocated (held or sold) is held at exactly one warehouse: the
 * one serving its final location, under the saga's final reference, with its allocation id and
 * quantity; a released one is held nowhere. Answers what is wrong, one line per reservation.
 */
export function heldOnce(
  ledgers: ReadonlyMap<string, SkuLedger>,
  sagas: ReadonlyMap<string, AllocationSaga>,
  records: ReadonlyMap<string, readonly WmsRecord[]>,
  servedBy: (location: string | null) => string,
): { checked: number; violations: string[] } {
  const holding = new Map<string, Held[]>();
  for (const [warehouse, list] of records) {
    for (const record of list.filter((r) => r.status === 'allocated')) {
      const id = parseReference(record.reservationId).reservationId;
      holding.set(id, [...(holding.get(id) ?? []), { warehouse, record }]);
    }
  }
  const violations: string[] = [];
  let checked = 0;
  for (const [sku, ledger] of ledgers) {
    for (const r of ledger.reservations.values()) {
      checked++;
      const held = holding.get(r.reservationId) ?? [];
      holding.delete(r.reservationId);
      const where = held.map((h) => `${h.warehouse}:${h.record.reservationId}`).join(', ') || 'nowhere';
      if (r.status === 'released' || r.allocation !== 'allocated') {
        if (held.length > 0) violations.push(`${sku} ${r.reservationId} (${r.status}, ${r.allocation}): held at ${where}`);
        continue;
      }
      const reference = sagas.get(r.reservationId)?.reference ?? r.reservationId;
      const warehouse = servedBy(r.location);
      const [only] = held;
      const right = held.length === 1 && only!.warehouse === warehouse && only!.record.reservationId === reference && only!.record.allocationId === r.allocationId && only!.record.qty === r.qty && only!.record.sku === sku;
      if (!right) violations.push(`${sku} ${r.reservationId} allocated at ${r.location} (${warehouse}, ${reference}, ${r.allocationId}): held at ${where}`);
    }
  }
  for (const [id, held] of holding) violations.push(`${id}: held at ${held.map((h) => `${h.warehouse}:${h.record.reservationId}`).join(', ')}, unknown at the edge`);
  return { checked, violations };
}
