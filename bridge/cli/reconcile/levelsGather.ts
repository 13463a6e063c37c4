import pLimit from 'p-limit';
import type { Movement, WmsClient } from '../../wms/client';
import { MAX_MOVEMENTS_PAGE } from '../../wms/service';
import type { Cli } from '../context';
import { CallFailed } from '../exit';
import type { EdgeStock, LevelsInput, Warehouse } from './levels';

/** SKU views read at once, as for the logs. */
const CONCURRENCY = 8;

/** Every movement after `after`, page by page, and the last sequence read. */
async function movementsAfter(wms: WmsClient, after: number, timeoutMs: number): Promise<{ movements: Movement[]; head: number }> {
  const movements: Movement[] = [];
  let cursor = after;
  for (;;) {
    const page = await wms.movements(cursor, MAX_MOVEMENTS_PAGE, timeoutMs);
    movements.push(...page.movement);
    // An empty page, or a cursor that does not move, ends it: a log that stops moving must not loop forever.
    if (page.movement.length === 0 || page.next <= cursor) return { movements, head: cursor };
    cursor = page.next;
  }
}

/** The SKU at the edge, per location; none for a SKU it does not have; null when it names no location. */
async function edgeStock(cli: Cli, sku: string): Promise<EdgeStock> {
  try {
    const view = await cli.edge.view(sku);
    return { sku, locations: view.locations?.map(({ location, onHand, fed }) => ({ location, onHand, fed })) ?? null };
  } catch (error) {
    if (error instanceof CallFailed && error.code === 'sku_not_found') return { sku, locations: [] };
    throw error;
  }
}

/**
 * The warehouse's movements, then its levels, then the movements since, then the edge: a location
 * moved between the two movement reads is in flight, and the edge, read last, can only be ahead of
 * the warehouse by documents posted after it (which its feed sequence shows).
 * SKUs: those given, else those the warehouse holds at its locations and `also` (reconcile's others).
 */
export async function gatherLevels(cli: Cli, warehouse: Warehouse, wms: WmsClient, given: readonly string[], also: readonly string[]): Promise<LevelsInput> {
  const { timeoutMs } = cli.options;
  const before = await movementsAfter(wms, 0, timeoutMs);
  const levels = await wms.stockLevels(timeoutMs);
  const since = await movementsAfter(wms, before.head, timeoutMs);
  const served = levels.filter((l) => warehouse.locations === null || warehouse.locations.includes(l.location));
  const skus = given.length > 0 ? [...new Set(given)] : [...new Set([...served.map((l) => l.sku), ...also])].sort();
  const limit = pLimit(CONCURRENCY);
  const edge = await Promise.all(skus.map((sku) => limit(() => edgeStock(cli, sku))));
  return { warehouse, edge, levels: served, movements: [...before.movements, ...since.movements], readBefore: before.head };
}
