import { z } from 'zod';
import { FaultsSchema, type FaultsPatch } from '../../wms/faults';
import { StockUnitsSchema } from '../../wms/records';
import { call, type Service } from '../http';
import { simulatorControls } from './simulatorControls';

const StockLevelsSchema = z.object({ defaultStock: StockUnitsSchema, skus: z.record(z.string(), StockUnitsSchema) });
const StockSetSchema = z.object({ sku: z.string(), qty: StockUnitsSchema });

/** The WMS simulator's control plane (`bridge/wms/admin.ts`): JSON at the origin of `--wms-url`. */
export function wmsAdminApi(service: Service) {
  return {
    ...simulatorControls<z.infer<typeof FaultsSchema>, FaultsPatch>(service, FaultsSchema),
    stock: () => call(service, 'GET', '/admin/stock', StockLevelsSchema),
    setStock: (sku: string, qty: number) => call(service, 'PUT', `/admin/stock/${encodeURIComponent(sku)}`, StockSetSchema, { qty }),
  };
}
export type WmsAdminApi = ReturnType<typeof wmsAdminApi>;
