import { BENCH_ADMIN_KEY, edgeCall, type RunningEdge } from '../lib/edge';
import { SKUS } from './params';

export type SkuRelay = { lastVersion: number; pending: number };

/** Each SKU's last committed version and outbox rows waiting, from its object's relay status. */
export async function relayStatuses(edge: RunningEdge): Promise<Map<string, SkuRelay>> {
  const statuses = new Map<string, SkuRelay>();
  for (const sku of SKUS) {
    const { status, json } = await edgeCall(edge.url, 'GET', `/v1/admin/skus/${sku}/relay`, BENCH_ADMIN_KEY);
    if (status !== 200) throw new Error(`relay status of ${sku}: ${status}`);
    statuses.set(sku, { lastVersion: json.lastVersion as number, pending: json.pending as number });
  }
  return statuses;
}

/** Each SKU's last committed version, from relay statuses already read. */
export const lastVersionsOf = (statuses: ReadonlyMap<string, SkuRelay>): Map<string, number> => new Map([...statuses].map(([sku, s]) => [sku, s.lastVersion]));

/** Each SKU's last committed version. */
export async function lastVersions(edge: RunningEdge): Promise<Map<string, number>> {
  return lastVersionsOf(await relayStatuses(edge));
}

export const pendingRows = (statuses: ReadonlyMap<string, SkuRelay>) => [...statuses.values()].reduce((sum, s) => sum + s.pending, 0);
