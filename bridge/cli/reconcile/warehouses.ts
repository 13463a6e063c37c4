import type { WmsClient } from '../../wms/client';
import type { Cli } from '../context';
import { UsageError } from '../exit';
import type { Warehouse } from './levels';

/**
 * The warehouse systems reconcile compares stock levels with. One today: `soap-1` at `--wms-url`
 * (WMS_URL), answering for every location (the bridge's default when no WAREHOUSES list is set).
 * TODO(integration): the bridge's WAREHOUSES list, each with its own URL and locations.
 */
export type WarehouseSystem = Warehouse & { client: () => Promise<WmsClient> };

export const DEFAULT_WAREHOUSE = 'soap-1';

export function warehouses(cli: Cli, only: readonly string[] | undefined): WarehouseSystem[] {
  const all: WarehouseSystem[] = [{ id: DEFAULT_WAREHOUSE, locations: null, client: cli.wms }];
  if (!only || only.length === 0) return all;
  const unknown = only.filter((id) => !all.some((w) => w.id === id));
  if (unknown.length > 0) throw new UsageError(`no warehouse ${unknown.join(', ')} (configured: ${all.map((w) => w.id).join(', ')})`);
  return all.filter((w) => only.includes(w.id));
}
