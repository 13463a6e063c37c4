import { parseReference, REFERENCE_AT } from '../../../src/domain/allocation';
import { DEFAULT_LOCATION, type Reservation, type SkuLedger } from '../../../src/domain/sku';
import type { WmsRecord } from '../../wms/records';

/**
 * - `wms_only`: the WMS holds units for a reservation the edge released or never had, or at a
 *   location the reservation was re-sourced away from (a reference it no longer uses);
 * - `edge_only`: the edge counts a reservation as allocated that the WMS does not hold;
 * - `mismatch`: both hold it, but not the same allocation (id, quantity or SKU).
 */
export type DifferenceKind = 'wms_only' | 'edge_only' | 'mismatch';

export type EdgeSide = Pick<Reservation, 'qty' | 'status' | 'allocation' | 'allocationId'>;
export type WmsSide = Pick<WmsRecord, 'sku' | 'qty' | 'status' | 'allocationId'>;
/** `reference`: the WMS's id of the allocation concerned (the reservation id, or `id@location…` after a re-sourcing: ADR 0015). */
export type Difference = { kind: DifferenceKind; sku: string; reservationId: string; reference: string; edge: EdgeSide | null; wms: WmsSide | null };

export type Comparison = {
  skus: string[];
  /** Reservations known to either side in those SKUs. */
  compared: number;
  unitsAllocated: { edge: number; wms: number };
  differences: Difference[];
};

/** Units the edge counts as allocated at the warehouse: confirmed by the saga, not released since (held or sold). */
const allocatedAtEdge = (r: Reservation) => r.allocation === 'allocated' && r.status !== 'released';

type AtEdge = { sku: string; reservation: Reservation };

/**
 * What the SKU objects consider allocated (their folded logs, keyed by SKU) against the WMS's
 * records. Only WMS records of those SKUs count, or of reservations the edge knows: a record
 * filed under another SKU is a mismatch, not someone else's business. A reservation may have a
 * record per location it was allocated at (ADR 0015): the one at its current location is compared
 * with the edge; any other still allocated is units held where the reservation no longer is.
 */
export function compareAllocations(edge: ReadonlyMap<string, SkuLedger>, wms: readonly WmsRecord[]): Comparison {
  const atEdge = new Map<string, AtEdge>();
  for (const [sku, ledger] of edge) for (const reservation of ledger.reservations.values()) atEdge.set(reservation.reservationId, { sku, reservation });
  const atWms = byReservation(wms.filter((r) => edge.has(r.sku) || atEdge.has(parseReference(r.reservationId).reservationId)));

  const differences: Difference[] = [];
  const ids = new Set([...atEdge.keys(), ...atWms.keys()]);
  for (const id of ids) {
    const e = atEdge.get(id);
    const records = atWms.get(id) ?? [];
    const current = currentRecord(id, e?.reservation, records);
    const kind = classify(e, current);
    const difference = (k: DifferenceKind, w: WmsRecord | undefined, reference: string): Difference => ({
      kind: k,
      sku: e?.sku ?? w!.sku,
      reservationId: id,
      reference,
      edge: e ? edgeSide(e.reservation) : null,
      wms: w ? wmsSide(w) : null,
    });
    if (kind) differences.push(difference(kind, current, current?.reservationId ?? currentReference(id, e?.reservation, records)));
    for (const left of records) if (left !== current && left.status === 'allocated') differences.push(difference('wms_only', left, left.reservationId));
  }
  differences.sort((a, b) => a.sku.localeCompare(b.sku) || a.reservationId.localeCompare(b.reservationId) || a.reference.localeCompare(b.reference));
  const sum = (quantities: number[]) => quantities.reduce((total, qty) => total + qty, 0);
  return {
    skus: [...edge.keys()].sort(),
    compared: ids.size,
    unitsAllocated: {
      edge: sum([...atEdge.values()].filter((e) => allocatedAtEdge(e.reservation)).map((e) => e.reservation.qty)),
      wms: sum([...atWms.values()].flat().filter((w) => w.status === 'allocated').map((w) => w.qty)),
    },
    differences,
  };
}

function classify(e: AtEdge | undefined, w: WmsRecord | undefined): DifferenceKind | null {
  const edgeHolds = e !== undefined && allocatedAtEdge(e.reservation);
  const wmsHolds = w !== undefined && w.status === 'allocated';
  if (edgeHolds && wmsHolds) {
    const same = e.reservation.allocationId === w.allocationId && e.reservation.qty === w.qty && e.sku === w.sku;
    return same ? null : 'mismatch';
  }
  if (edgeHolds) return 'edge_only';
  // Held but not yet confirmed is no difference: the saga is between AllocateStock and AllocationConfirmed.
  if (wmsHolds) return e === undefined || e.reservation.status === 'released' ? 'wms_only' : null;
  return null;
}

/** WMS records by the reservation they are for (a re-sourced reservation has one per location: ADR 0015). */
export function byReservation(records: readonly WmsRecord[]): Map<string, WmsRecord[]> {
  const grouped = new Map<string, WmsRecord[]>();
  for (const r of records) {
    const { reservationId } = parseReference(r.reservationId);
    grouped.set(reservationId, [...(grouped.get(reservationId) ?? []), r]);
  }
  return grouped;
}

/**
 * The reference the reservation's allocation has at its current location: the reservation id if it
 * was never re-sourced (no `id@…` record), else the last of those naming its location (`~n`
 * numbers a return; none: the saga has not allocated there yet).
 */
function currentReference(id: string, reservation: Reservation | undefined, records: readonly WmsRecord[]): string {
  const resourced = records.filter((r) => parseReference(r.reservationId).resourced);
  if (resourced.length === 0) return id;
  const here = `${id}${REFERENCE_AT}${reservation?.location ?? DEFAULT_LOCATION}`;
  const number = (reference: string) => (reference === here ? 1 : Number(reference.slice(here.length + 1)));
  const at = resourced.map((r) => r.reservationId).filter((ref) => ref === here || ref.startsWith(`${here}~`));
  return at.sort((a, b) => number(b) - number(a))[0] ?? here;
}

/** The WMS record of the reservation's allocation at its current location, among all of its records (any reference). */
export function currentRecord(id: string, reservation: Reservation | undefined, records: readonly WmsRecord[]): WmsRecord | undefined {
  const reference = currentReference(id, reservation, records);
  return records.find((r) => r.reservationId === reference);
}

const edgeSide = ({ qty, status, allocation, allocationId }: Reservation): EdgeSide => ({ qty, status, allocation, allocationId });
const wmsSide = ({ sku, qty, status, allocationId }: WmsRecord): WmsSide => ({ sku, qty, status, allocationId });
