import type { EdgeApi } from '../api/edge';
import type { AllocationBook } from './allocations';
import type { Difference, DifferenceKind } from './compare';

export type RepairStep = 'wms_cancel' | 'edge_release';

/**
 * The edge is the source of truth for who bought what, so the WMS gives up what the edge does not
 * hold; an allocation only the edge believes in is released there (an admin release, so a
 * completed purchase is flagged `refundDue`). A mismatch is undone on both sides: the WMS first,
 * so a failure halfway leaves an edge-only difference that the next run repairs.
 */
const PLAN: Record<DifferenceKind, RepairStep[]> = {
  wms_only: ['wms_cancel'],
  edge_only: ['edge_release'],
  mismatch: ['wms_cancel', 'edge_release'],
};

export type Repair = Pick<Difference, 'kind' | 'sku' | 'reservationId' | 'reference'> & { steps: RepairStep[]; ok: boolean; error: string | null };

type RepairDeps = { wms: AllocationBook; edge: EdgeApi; timeoutMs: number };

export async function repair({ kind, sku, reservationId, reference }: Difference, { wms, edge, timeoutMs }: RepairDeps): Promise<Repair> {
  const steps = PLAN[kind];
  for (const step of steps) {
    try {
      // The WMS knows the allocation by its reference (the reservation id, or `id@location…` after a re-sourcing).
      if (step === 'wms_cancel') await wms.cancel(reference, timeoutMs);
      else await edge.release(sku, reservationId);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { kind, sku, reservationId, reference, steps, ok: false, error: `${step} failed: ${message}` };
    }
  }
  return { kind, sku, reservationId, reference, steps, ok: true, error: null };
}
