import { z } from 'zod';
import { SkuIdSchema } from '../../src/domain/sku/limits';
import type { Logger } from '../logger';
import { createSimulatorAdminApp, refuseAdmin as refuse } from '../simulators/adminApp';
import { body, issuesOf } from '../simulators/adminHttp';
import { FaultsPatchSchema, type FaultInjector } from './faults';
import { StockUnitsSchema } from './records';
import type { WmsStore } from './store';

const StockSchema = z.strictObject({ qty: StockUnitsSchema });

/**
 * The simulator's control plane: plain JSON over HTTP, beside (not inside) the SOAP service.
 * It can stop the warehouse for a day, so it takes admin keys of its own (`WMS_ADMIN_KEYS`,
 * never the bridge's or the Worker's) and JSON bodies only: a web page can send a `text/plain` POST to any
 * address without asking, but neither a key nor a JSON body without the browser's preflight.
 */
export function createAdminApp({ store, faults, logger, adminKeys }: { store: WmsStore; faults: FaultInjector; logger: Logger; adminKeys: readonly string[] }) {
  const app = createSimulatorAdminApp(
    {
      faults,
      faultsPatch: FaultsPatchSchema,
      levels: () => store.stockLevels(),
      setPhysical: (location, sku, physical) => store.setPhysical(location, sku, physical),
      postMovement: (request) => store.postMovement(request, new Date().toISOString()),
      movementAnswer: (movement) => movement,
      movementLogged: 'movement recorded',
      notAllocated: 'a shipment needs an allocation that is allocated and not yet shipped',
    },
    { logger, adminKeys },
  );

  // A SKU's units left at the default location, set outright: the knob from before locations.
  app.put('/admin/stock/:sku', async (c) => {
    const sku = SkuIdSchema.safeParse(c.req.param('sku'));
    if (!sku.success) return refuse(c, { code: 'invalid_request', message: 'not a SKU', issues: issuesOf(sku.error) });
    const stock = await body(c, StockSchema);
    if (!stock.ok) return refuse(c, stock.refusal);
    await store.setStock(sku.data, stock.value.qty);
    logger.info({ sku: sku.data, qty: stock.value.qty }, 'stock set');
    return c.json({ sku: sku.data, qty: stock.value.qty });
  });
  return app;
}
