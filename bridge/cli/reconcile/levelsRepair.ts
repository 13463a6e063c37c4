import type { EdgeApi } from '../api/edge';
import type { LevelDifference } from './levels';

export type LevelRepair = Pick<LevelDifference, 'sku' | 'location' | 'warehouse' | 'difference' | 'document'> & {
  idempotencyKey: string;
  /** The location's onHand at the edge after the adjustment; null when it failed. */
  onHand: number | null;
  ok: boolean;
  error: string | null;
};

/**
 * One adjustment per (warehouse, SKU, location) and warehouse document: a repair run again (its
 * answer lost, or two operators at once) before the warehouse moves that location again is
 * answered from the first, never applied twice. Should the edge's onHand there change by hand in
 * between, the edge refuses the same key with another delta (422): that is left to an operator.
 */
export const repairKey = ({ warehouse, sku, location, document }: Pick<LevelDifference, 'warehouse' | 'sku' | 'location' | 'document'>) =>
  `reconcile-level:${warehouse}:${sku}:${location}:${document?.sequence ?? 0}`;

/** The edge takes the warehouse's count: the warehouse holds the goods. */
export async function repairLevel(d: LevelDifference, edge: EdgeApi): Promise<LevelRepair> {
  const { sku, location, warehouse, difference, document } = d;
  const idempotencyKey = repairKey(d);
  const reason = `reconcile: warehouse ${warehouse} counts ${d.wms} (physical ${d.physical} + shipped ${d.shipped}), the edge ${d.edge}`;
  const done = { sku, location, warehouse, difference, document, idempotencyKey };
  try {
    const adjusted = await edge.adjust(sku, { location, delta: difference, reason, ...(document ? { document: document.document } : {}) }, idempotencyKey);
    return { ...done, onHand: adjusted.location.onHand, ok: true, error: null };
  } catch (error) {
    return { ...done, onHand: null, ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}
