import { Hono } from 'hono';
import { z } from 'zod';
import { SkuIdSchema } from '../../src/domain/sku/limits';
import type { Logger } from '../logger';
import { body, faultRoutes, guardAdmin, issuesOf, physicalStockRoute, refuser } from '../simulators/adminHttp';
import { FaultsPatchSchema, type FaultInjector } from './faults';
import { MovementRequestSchema } from './movements';
import { StockUnitsSchema } from './records';
import type { WmsStore } from './store';

const StockSchema = z.strictObject({ qty: StockUnitsSchema });

const refuse = refuser({
  invalid_request: 400,
  unauthorized: 401,
  not_found: 404,
  unknown_location: 404,
  insufficient_stock: 409,
  not_allocated: 409,
  internal: 500,
});
const MOVEMENT_REFUSALS = {
  unknown_location: 'the warehouse has no such location',
  insufficient_stock: 'the location has fewer units than the movement takes',
  not_allocated: 'a shipment needs an allocation that is allocated and not yet shipped',
} as const;

/**
 * The simulator's control plane: plain JSON over HTTP, beside (not inside) the SOAP service.
 * It can stop the warehouse for a day, so it takes admin keys of its own (`WMS_ADMIN_KEYS`,
 * never the bridge's or the Worker's) and JSON bodies only: a web page can send a `text/plain` POST to any
 * address without asking, but neither a key nor a JSON body without the browser's preflight.
 */
export function createAdminApp({ store, faults, logger, adminKeys }: { store: WmsStore; faults: FaultInjector; logger: Logger; adminKeys: readonly string[] }) {
  const app = new Hono();
  guardAdmin(app, adminKeys, refuse);

  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  faultRoutes(app, { faults, patchSchema: FaultsPatchSchema, logger, refuse });

  app.get('/admin/stock', (c) => c.json(store.stockLevels()));

  app.put('/admin/stock/:sku', async (c) => {
    const sku = SkuIdSchema.safeParse(c.req.param('sku'));
    if (!sku.success) return refuse(c, { code: 'invalid_request', message: 'not a SKU', issues: issuesOf(sku.error) });
    const stock = await body(c, StockSchema);
    if (!stock.ok) return refuse(c, stock.refusal);
    await store.setStock(sku.data, stock.value.qty);
    logger.info({ sku: sku.data, qty: stock.value.qty }, 'stock set');
    return c.json({ sku: sku.data, qty: stock.value.qty });
  });

  physicalStockRoute(app, { setPhysical: (location, sku, physical) => store.setPhysical(location, sku, physical), logger, refuse });

  app.post('/admin/movements', async (c) => {
    const request = await body(c, MovementRequestSchema);
    if (!request.ok) return refuse(c, request.refusal);
    const posted = await store.postMovement(request.value, new Date().toISOString());
    if (typeof posted === 'string') return refuse(c, { code: posted, message: MOVEMENT_REFUSALS[posted] });
    if (!posted.replay) logger.info({ movement: posted.movement }, 'movement recorded');
    // The same document again: the first result, and nothing moved.
    return c.json(posted.movement, posted.replay ? 200 : 201);
  });

  app.notFound((c) => refuse(c, { code: 'not_found', message: 'no such route' }));
  app.onError((error, c) => {
    logger.error({ err: error }, 'admin request failed');
    return refuse(c, { code: 'internal', message: 'the simulator failed' });
  });
  return app;
}
