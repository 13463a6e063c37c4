import pLimit from 'p-limit';
import type { Cli } from '../context';
import { CallFailed } from '../exit';
import { compareAllocations, type Comparison, type Difference } from './compare';
import type { AllocationBook } from './allocations';
import type { BothSides } from './gather';
import { inFlight, report, type Reported, type SagaSide } from './inFlight';

/** Saga lookups at once, as for the SKU logs. */
const CONCURRENCY = 8;

export type Reconciled = Omit<Comparison, 'differences'> & {
  differences: Reported[];
  /** False when the bridge runs no saga (`SAGA=off`, or still starting): every difference counts as settled. */
  sagasAsked: boolean;
};

/** The reservation's saga now; null if it has none (or it was retired); undefined if the bridge runs no saga. */
async function sagaOf(cli: Cli, reservationId: string): Promise<SagaSide | null | undefined> {
  try {
    const { phase, releasedAs, leftBehind } = await cli.bridge.saga(reservationId);
    return { phase, releasedAs, leftBehind: leftBehind.map((l) => l.reference) };
  } catch (error) {
    if (error instanceof CallFailed && error.code === 'saga_not_found') return null;
    if (error instanceof CallFailed && error.code === 'sagas_disabled') return undefined;
    throw error;
  }
}

/**
 * Tells the differences a saga is still working on (`in_flight`: not repaired, not counted) from
 * the settled ones. The sagas are asked after both sides were read, so a saga that finished in
 * between may already have closed a difference: the WMS record of every difference that looks
 * settled is read again, and the comparison redone with it, before it is reported.
 */
export async function settle(cli: Cli, wms: AllocationBook, sides: BothSides, comparison: Comparison): Promise<Reconciled> {
  const limit = pLimit(CONCURRENCY);
  const sagas = await Promise.all(comparison.differences.map((d) => limit(() => sagaOf(cli, d.reservationId))));
  const sagasAsked = !sagas.includes(undefined);
  const moving: Reported[] = [];
  const candidates: Difference[] = [];
  comparison.differences.forEach((d, i) => {
    const saga = sagas[i] ?? null;
    if (sagasAsked && inFlight(d, saga)) moving.push(report(d, saga));
    else candidates.push(d);
  });

  const { timeoutMs } = cli.options;
  const again = await Promise.all(candidates.map((d) => limit(() => wms.get(d.reference, timeoutMs))));
  const fresh = new Map(again.flatMap((r) => (r ? [[r.reservationId, r] as const] : [])));
  const redone = compareAllocations(sides.edge, [...sides.wms.filter((r) => !fresh.has(r.reservationId)), ...fresh.values()]);
  const sagaOfId = new Map(comparison.differences.map((d, i) => [d.reservationId, sagas[i] ?? null]));
  // By reference: a reservation may differ at more than one location (ADR 0015).
  const wanted = new Set(candidates.map((d) => d.reference));
  const settled = redone.differences.filter((d) => wanted.has(d.reference)).map((d): Reported => ({ ...d, saga: sagaOfId.get(d.reservationId) ?? null }));

  const differences = [...settled, ...moving].sort((a, b) => a.sku.localeCompare(b.sku) || a.reservationId.localeCompare(b.reservationId));
  return { ...redone, differences, sagasAsked };
}
