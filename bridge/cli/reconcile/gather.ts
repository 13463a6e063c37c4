import pLimit from 'p-limit';
import { emptyLedger, foldLedger, skuOf, streamOf, type SkuLedger } from '../../../src/domain/sku';
import type { WmsRecord } from '../../wms/records';
import type { Cli } from '../context';
import { CallFailed } from '../exit';
import type { Progress } from '../progress';
import type { AllocationBook } from './allocations';
import { compareAllocations } from './compare';

/** SKU logs read at once: enough to hide latency, few enough not to crowd out the storefront's requests. */
const CONCURRENCY = 8;

export type BothSides = { edge: Map<string, SkuLedger>; wms: WmsRecord[] };

/** SKUs worth checking: those the warehouses have records of, and those the bridge's sagas touched. */
async function knownSkus(cli: Cli, records: readonly WmsRecord[]): Promise<string[]> {
  const { skus } = await cli.bridge.skus();
  // A reservation cancelled before it was ever allocated leaves a WMS tombstone without a SKU.
  return [...new Set([...records.map((r) => r.sku).filter(Boolean), ...skus.map((s) => skuOf(s.sku))])].sort();
}

/**
 * A SKU the edge never heard of has an empty log: whatever the WMS holds for it is WMS-only. A
 * sharded SKU's reservations are in its shards' logs: each is folded, and their rows put together.
 */
async function edgeState(cli: Cli, sku: string): Promise<SkuLedger> {
  try {
    const ledger = foldLedger(await cli.edge.events(sku, 0));
    for (let k = 1; k < ledger.state.shards; k++) {
      for (const r of foldLedger(await cli.edge.events(streamOf(sku, k), 0)).reservations.values()) ledger.reservations.set(r.reservationId, r);
    }
    return ledger;
  } catch (error) {
    if (error instanceof CallFailed && error.code === 'sku_not_found') return emptyLedger();
    throw error;
  }
}

/**
 * Reads the warehouses first (`book`: every one configured) and the edge logs after, so a reservation the edge knows is never
 * missing from a list taken before it. One race remains: an allocation made after the WMS list
 * and confirmed before its SKU's log was read looks edge-only, so those are asked again.
 */
export async function gather(cli: Cli, wms: AllocationBook, given: readonly string[], bar: (total: number) => Progress): Promise<BothSides> {
  const { timeoutMs } = cli.options;
  const listed = await wms.list(timeoutMs);
  const skus = given.length > 0 ? [...new Set(given)] : await knownSkus(cli, listed);

  const progress = bar(skus.length);
  const limit = pLimit(CONCURRENCY);
  const edge = new Map<string, SkuLedger>();
  try {
    await Promise.all(
      skus.map((sku) =>
        limit(async () => {
          edge.set(sku, await edgeState(cli, sku));
          progress.tick(sku);
        }),
      ),
    );
  } finally {
    progress.stop();
  }

  const suspects = compareAllocations(edge, listed).differences.filter((d) => d.kind === 'edge_only');
  // By the allocation's WMS reference, which is the reservation id unless it was re-sourced (ADR 0015).
  const again = await Promise.all(suspects.map((d) => wms.get(d.reference, timeoutMs)));
  const fresh = new Map(again.flatMap((r) => (r ? [[r.reservationId, r] as const] : [])));
  return { edge, wms: [...listed.filter((r) => !fresh.has(r.reservationId)), ...fresh.values()] };
}
