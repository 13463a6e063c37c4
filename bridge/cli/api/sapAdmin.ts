import { z } from 'zod';
import { SapFaultsSchema, type SapFaultsPatch } from '../../sap/simulator/faultKnobs';
import { StockLevelSchema } from '../../wms/movements';
import { StockUnitsSchema } from '../../wms/records';
import { call, type Service } from '../http';
import { simulatorControls } from './simulatorControls';

/**
 * The SAP simulator's control plane (`bridge/sap/simulator/admin.ts`): JSON at its root, beside
 * the OData services. Like the WMS simulator's, with SAP's own faults (throttling, lost answers)
 * and stock kept per location (each location a plant and storage location).
 */
export function sapAdminApi(service: Service) {
  return {
    ...simulatorControls<z.infer<typeof SapFaultsSchema>, SapFaultsPatch>(service, SapFaultsSchema),
    stock: () => call(service, 'GET', '/admin/stock', z.array(StockLevelSchema)),
    setPhysical: (location: string, sku: string, physical: number) =>
      call(service, 'PUT', `/admin/stock/${encodeURIComponent(location)}/${encodeURIComponent(sku)}`, StockLevelSchema, { physical: StockUnitsSchema.parse(physical) }),
  };
}
export type SapAdminApi = ReturnType<typeof sapAdminApi>;
