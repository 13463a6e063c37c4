import { sapAdminApi, type SapAdminApi } from './api/sapAdmin';
import type { WmsAdminApi } from './api/wmsAdmin';
import { wmsAdminApi } from './api/wmsAdmin';
import type { Cli } from './context';
import { UsageError } from './exit';
import { DEV_SAP_ADMIN_KEY, isLoopback } from './hints';
import { DEFAULT_WAREHOUSE, warehouses } from './reconcile/warehouses';

/**
 * The admin API of the simulator behind a warehouse (`inventory wms --warehouse <id>`): the SOAP
 * simulator's for a soap warehouse, the SAP simulator's for an odata one, each at its URL's
 * origin and sent its own key. Without --warehouse, the SOAP simulator at --wms-url, as always.
 */
export type SimulatorAdmin = { id: string; kind: 'soap'; api: WmsAdminApi } | { id: string; kind: 'odata'; api: SapAdminApi };

export function simulatorAdmin(cli: Cli, id: string | undefined): SimulatorAdmin {
  if (id === undefined) return { id: DEFAULT_WAREHOUSE, kind: 'soap', api: cli.wmsAdmin };
  const [system] = warehouses(cli, [id]);
  const { timeoutMs, wmsAdminKey, sapAdminKey } = cli.options;
  if (system!.kind === 'soap') return { id, kind: 'soap', api: wmsAdminApi({ name: `WMS simulator ${id}`, baseUrl: system!.url, adminKey: wmsAdminKey, timeoutMs }) };
  // The dev key is for the local stack only (as refuseDefaultKeysRemotely has it for the other components).
  if (sapAdminKey === DEV_SAP_ADMIN_KEY && !isLoopback(system!.url)) {
    throw new UsageError(`no admin key given for ${system!.url} (--sap-admin-key or SAP_ADMIN_KEY): the default dev keys are only for a local system`);
  }
  return { id, kind: 'odata', api: sapAdminApi({ name: `SAP simulator ${id}`, baseUrl: system!.url, adminKey: sapAdminKey, timeoutMs }) };
}
