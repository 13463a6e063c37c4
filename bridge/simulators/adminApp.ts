import { Hono } from 'hono';
import type { z } from 'zod';
import type { Logger } from '../logger';
import { MovementRequestSchema, type Movement, type MovementRequest, type StockLevel } from '../wms/movements';
import { body, faultRoutes, guardAdmin, physicalStockRoute, refuser } from './adminHttp';
import type { CommonFaults, FaultInjector } from './faults';
import type { MovementRefusal } from './stockLedger';

/** The statuses of every refusal the simulators' admin APIs answer. */
export const refuseAdmin = refuser({
  invalid_request: 400,
  unauthorized: 401,
  not_found: 404,
  unknown_location: 404,
  insufficient_stock: 409,
  not_allocated: 409,
  internal: 500,
});

/** What the two simulators' admin apps share of their warehouse: faults, levels, opening stock, movements. */
export type AdminWarehouse<F extends CommonFaults> = {
  faults: FaultInjector<F>;
  faultsPatch: z.ZodType<Partial<F>>;
  /** `GET /admin/stock`: the simulator's own listing. */
  levels: () => unknown;
  setPhysical: (location: string, sku: string, physical: number) => Promise<StockLevel | 'unknown_location'>;
  postMovement: (request: MovementRequest) => Promise<{ movement: Movement; replay: boolean } | MovementRefusal>;
  /** The answer to a posted movement (the simulator may add its own document number), and the log line that records it. */
  movementAnswer: (movement: Movement) => object;
  movementLogged: string;
  /** What a shipment must name to be taken, in this simulator's words. */
  notAllocated: string;
};

/**
 * The control plane both warehouse simulators share, beside their service: the key and JSON-only
 * guard, `/healthz`, faults and outages, stock levels, opening stock and movements posted, and the
 * error shape for a missing route or a failure. Each adds its own routes to the app it gets back.
 */
export function createSimulatorAdminApp<F extends CommonFaults>(warehouse: AdminWarehouse<F>, { logger, adminKeys }: { logger: Logger; adminKeys: readonly string[] }): Hono {
  const refuse = refuseAdmin;
  const movementRefusals: Record<MovementRefusal, string> = {
    unknown_location: 'the warehouse has no such location',
    insufficient_stock: 'the location has fewer units than the movement takes',
    not_allocated: warehouse.notAllocated,
  };
  const app = new Hono();
  guardAdmin(app, adminKeys, refuse);

  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  faultRoutes(app, { faults: warehouse.faults, patchSchema: warehouse.faultsPatch, logger, refuse });

  app.get('/admin/stock', async (c) => c.json(await warehouse.levels()));

  physicalStockRoute(app, { setPhysical: warehouse.setPhysical, logger, refuse });

  app.post('/admin/movements', async (c) => {
    const request = await body(c, MovementRequestSchema);
    if (!request.ok) return refuse(c, request.refusal);
    const posted = await warehouse.postMovement(request.value);
    if (typeof posted === 'string') return refuse(c, { code: posted, message: movementRefusals[posted] });
    const answer = warehouse.movementAnswer(posted.movement);
    if (!posted.replay) logger.info({ movement: answer }, warehouse.movementLogged);
    // The same document again: the first result, and nothing moved.
    return c.json(answer, posted.replay ? 200 : 201);
  });

  app.notFound((c) => refuse(c, { code: 'not_found', message: 'no such route' }));
  app.onError((error, c) => {
    logger.error({ err: error }, 'admin request failed');
    return refuse(c, { code: 'internal', message: 'the simulator failed' });
  });
  return app;
}
