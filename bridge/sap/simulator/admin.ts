import { Hono } from 'hono';
import type { Logger } from '../../logger';
import { body, faultRoutes, guardAdmin, physicalStockRoute, refuser } from '../../simulators/adminHttp';
import type { FaultInjector } from '../../simulators/faults';
import { MovementRequestSchema } from '../../wms/movements';
import { SapFaultsPatchSchema, type SapFaults } from './faults';
import { materialDocumentOf } from './materialDocuments';
import type { SapStore } from './store';


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
  not_allocated: 'a shipment needs an open reservation item (not flagged for deletion, not yet issued) whose text is the reservationId',
} as const;

/**
 * The SAP simulator's control plane, beside the OData services: faults and outages, opening
 * stock, and movements posted as the SOAP simulator's admin takes them (each becomes a material
 * document). Keys of its own (`SAP_ADMIN_KEYS`), JSON bodies only.
 */
export function createSapAdminApp({ store, faults, logger, adminKeys }: { store: SapStore; faults: FaultInjector<SapFaults>; logger: Logger; adminKeys: readonly string[] }) {
  const app = new Hono();
  guardAdmin(app, adminKeys, refuse);

  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  faultRoutes(app, { faults, patchSchema: SapFaultsPatchSchema, logger, refuse });

  app.get('/admin/stock', async (c) => c.json(await store.levels()));

  physicalStockRoute(app, { setPhysical: (location, sku, physical) => store.setPhysical(location, sku, physical), logger, refuse });

  app.post('/admin/movements', async (c) => {
    const request = await body(c, MovementRequestSchema);
    if (!request.ok) return refuse(c, request.refusal);
    const posted = await store.postMovement(request.value, new Date());
    if (typeof posted === 'string') return refuse(c, { code: posted, message: MOVEMENT_REFUSALS[posted] });
    const answer = { ...posted.movement, materialDocument: materialDocumentOf(posted.movement.sequence) };
    if (!posted.replay) logger.info({ movement: answer }, 'movement posted as a material document');
    // The same document again: the first result, and nothing moved.
    return c.json(answer, posted.replay ? 200 : 201);
  });

  app.get('/admin/reservations', async (c) => c.json(await store.list()));

  app.notFound((c) => refuse(c, { code: 'not_found', message: 'no such route' }));
  app.onError((error, c) => {
    logger.error({ err: error }, 'admin request failed');
    return refuse(c, { code: 'internal', message: 'the simulator failed' });
  });
  return app;
}
