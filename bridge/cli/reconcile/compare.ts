import type { Reservation, SkuLedger } from '../../../src/domain/sku';
import type { WmsRecord } from '../../wms/records';

/**
 * - `wms_only`: the WMS holds units for a reservation the edge released or never had;
 * - `edge_only`: the edge counts a reservation as allocated that the WMS does not hold;
 * - `mismatch`: both hold it, but not the same allocation (id, quantity or SKU).
 */
export type DifferenceKind = 'wms_only' | 'edge_only' | 'mismatch';

export type EdgeSide = Pick<Reservation, 'qty' | 'status' | 'allocation' | 'allocationId'>;
export type WmsSide = Pick<WmsRecord, 'sku' | 'qty' | 'status' | 'allocationId'>;
export type Difference = { kind: DifferenceKind; sku: string; reservationId: string; edge: EdgeSide | null; wms: WmsSide | null };

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
 * filed under another SKU is a mismatch, not someone else's business.
 */
export function compareAllocations(edge: ReadonlyMap<string, SkuLedger>, wms: readonly WmsRecord[]): Comparison {
  const atEdge = new Map<string, AtEdge>();
  for (const [sku, ledger] of edge) for (const reservation of ledger.reservations.values()) atEdge.set(reservation.reservationId, { sku, reservation });
  const atWms = new Map(wms.filter((r) => edge.has(r.sku) || atEdge.has(r.reservationId)).map((r) => [r.reservationId, r]));

  const differences: Difference[] = [];
  const ids = new Set([...atEdge.keys(), ...atWms.keys()]);
  for (const id of ids) {
    const e = atEdge.get(id);
    const w = atWms.get(id);
    const kind = classify(e, w);
    if (kind) differences.push({ kind, sku: e?.sku ?? w!.sku, reservationId: id, edge: e ? edgeSide(e.reservation) : null, wms: w ? wmsSide(w) : null });
  }
  differences.sort((a, b) => a.sku.localeCompare(b.sku) || a.reservationId.localeCompare(b.reservationId));
  const sum = (quantities: number[]) => quantities.reduce((total, qty) => total + qty, 0);
  return {
    skus: [...edge.keys()].sort(),
    compared: ids.size,
    unitsAllocated: {
      edge: sum([...atEdge.values()].filter((e) => allocatedAtEdge(e.reservation)).map((e) => e.reservation.qty)),
      wms: sum([...atWms.values()].filter((w) => w.status === 'allocated').map((w) => w.qty)),
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

const edgeSide = ({ qty, status, allocation, allocationId }: Reservation): EdgeSide => ({ qty, status, allocation, allocationId });
const wmsSide = ({ sku, qty, status, allocationId }: WmsRecord): WmsSide => ({ sku, qty, status, allocationId });
