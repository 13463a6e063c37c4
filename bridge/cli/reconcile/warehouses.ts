import { clientOf } from '../../feed/warehouseClients';
import type { WmsClient } from '../../wms/client';
import { DEFAULT_WAREHOUSE_ID, WarehousesEnvSchema } from '../../warehouses';
import type { Cli } from '../context';
import { UsageError } from '../exit';
import type { Warehouse } from './levels';

/**
 * The warehouse systems reconcile compares stock levels with: the bridge's `WAREHOUSES` list when
 * the environment sets it (each with its own URL and locations, as every replica has it), else
 * `soap-1` at `--wms-url` (WMS_URL), answering for every location — the bridge's own default.
 */
export type WarehouseSystem = Warehouse & { kind: 'soap' | 'odata'; url: string; client: () => Promise<WmsClient> };

export const DEFAULT_WAREHOUSE = DEFAULT_WAREHOUSE_ID;

function configured(cli: Cli, env: NodeJS.ProcessEnv): WarehouseSystem[] {
  if (!env.WAREHOUSES) return [{ id: DEFAULT_WAREHOUSE, kind: 'soap', url: cli.options.wmsUrl, locations: null, client: cli.wms }];
  const parsed = WarehousesEnvSchema.safeParse(env.WAREHOUSES);
  if (!parsed.success) throw new UsageError(`WAREHOUSES: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data.map((w) => {
    let client: Promise<WmsClient> | undefined;
    // An odata warehouse's locations are those of its plants when it lists none (bridge/warehouses.ts).
    return { id: w.id, kind: w.kind, url: w.url, locations: w.locations ?? null, client: () => (client ??= clientOf(w)) };
  });
}

export function warehouses(cli: Cli, only: readonly string[] | undefined, env: NodeJS.ProcessEnv = process.env): WarehouseSystem[] {
  const all = configured(cli, env);
  if (!only || only.length === 0) return all;
  const unknown = only.filter((id) => !all.some((w) => w.id === id));
  if (unknown.length > 0) throw new UsageError(`no warehouse ${unknown.join(', ')} (configured: ${all.map((w) => w.id).join(', ')})`);
  return all.filter((w) => only.includes(w.id));
}
