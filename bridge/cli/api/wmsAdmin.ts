import { z } from 'zod';
import { FaultsSchema, type FaultsPatch } from '../../wms/faults';
import { StockUnitsSchema } from '../../wms/records';
import { anonymous, call, exchange, type Service } from '../http';

const OutageSchema = z.object({ outageUntil: z.int() });
const StockLevelsSchema = z.object({ defaultStock: StockUnitsSchema, skus: z.record(z.string(), StockUnitsSchema) });
const StockSetSchema = z.object({ sku: z.string(), qty: StockUnitsSchema });

/** The WMS simulator's control plane (`bridge/wms/admin.ts`): JSON at the origin of `--wms-url`. */
export function wmsAdminApi(service: Service) {
  return {
    health: () => exchange(anonymous(service), 'GET', '/healthz'),
    faults: () => call(service, 'GET', '/admin/faults', FaultsSchema),
    setFaults: (patch: FaultsPatch) => call(service, 'PUT', '/admin/faults', FaultsSchema, patch),
    outage: (forMs: number) => call(service, 'POST', '/admin/outage', OutageSchema, { forMs }),
    stock: () => call(service, 'GET', '/admin/stock', StockLevelsSchema),
    setStock: (sku: string, qty: number) => call(service, 'PUT', `/admin/stock/${encodeURIComponent(sku)}`, StockSetSchema, { qty }),
  };
}
export type WmsAdminApi = ReturnType<typeof wmsAdminApi>;
