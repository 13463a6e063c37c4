import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import { SkuIdSchema } from '../../src/domain/sku/limits';
import { adminKeyCheck } from '../http/adminKey';
import type { Logger } from '../logger';
import { LocationSchema, type StockLevel } from '../wms/movements';
import { StockUnitsSchema } from '../wms/records';
import type { CommonFaults, FaultInjector } from './faults';

/**
 * What the warehouse simulators' admin APIs share: the key and JSON-only checks, the body limit,
 * body parsing by a zod schema, and the project's error shape `{error: {code, message, details?}}`.
 */

export const MAX_ADMIN_BYTES = 16 * 1024;
const JSON_TYPE = /^application\/json(\s*;.*)?$/i;

export type Refusal<Code extends string> = { code: Code; message: string; issues?: unknown };
export type Parsed<T> = { ok: true; value: T } | { ok: false; refusal: Refusal<'invalid_request'> };

/** Answers a refusal with the status its code maps to. */
export function refuser<const Status extends Record<string, ContentfulStatusCode>>(status: Status) {
  return (c: Pick<Context, 'json'>, { code, message, issues }: Refusal<Extract<keyof Status, string>>) =>
    c.json({ error: { code, message, ...(issues ? { details: { issues } } : {}) } }, status[code]);
}

/**
 * Every `/admin/*` call needs one of the simulator's own admin keys, and every body is JSON: a web
 * page can send a `text/plain` POST to any address without asking, but neither a key nor a JSON
 * body without the browser's preflight.
 */
export function guardAdmin(app: Hono, adminKeys: readonly string[], refuse: (c: Pick<Context, 'json'>, refusal: Refusal<'unauthorized' | 'invalid_request'>) => Response): void {
  const isAdmin = adminKeyCheck(adminKeys);
  app.use('/admin/*', async (c, next) => {
    if (!isAdmin(c.req.header('authorization'))) return refuse(c, { code: 'unauthorized', message: 'an admin key is required: Authorization: Bearer <key>' });
    if (c.req.method !== 'GET' && !JSON_TYPE.test(c.req.header('content-type') ?? '')) {
      return refuse(c, { code: 'invalid_request', message: 'Content-Type must be application/json' });
    }
    await next();
  });
  app.use(bodyLimit({ maxSize: MAX_ADMIN_BYTES, onError: (c) => refuse(c, { code: 'invalid_request', message: `body exceeds ${MAX_ADMIN_BYTES} bytes` }) }));
}

export async function body<T>(c: Context, schema: z.ZodType<T>): Promise<Parsed<T>> {
  let json: unknown;
  try {
    json = await c.req.json();
  } catch {
    return { ok: false, refusal: { code: 'invalid_request', message: 'body is not JSON' } };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, refusal: { code: 'invalid_request', message: 'invalid body', issues: issuesOf(parsed.error) } };
}

export const issuesOf = (error: z.ZodError) => error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));

const OutageSchema = z.strictObject({ forMs: z.int().min(0).max(24 * 3_600_000) });
const PhysicalSchema = z.strictObject({ physical: StockUnitsSchema });
type Refuse = (c: Pick<Context, 'json'>, refusal: Refusal<'invalid_request'>) => Response;

/** `GET|PUT /admin/faults` (a PUT merges a part) and `POST /admin/outage` `{forMs}`. */
export function faultRoutes<F extends CommonFaults>(app: Hono, { faults, patchSchema, logger, refuse }: { faults: FaultInjector<F>; patchSchema: z.ZodType<Partial<F>>; logger: Logger; refuse: Refuse }): void {
  app.get('/admin/faults', (c) => c.json(faults.current));

  app.put('/admin/faults', async (c) => {
    const patch = await body(c, patchSchema);
    if (!patch.ok) return refuse(c, patch.refusal);
    logger.info({ faults: patch.value }, 'faults changed');
    return c.json(faults.update(patch.value));
  });

  app.post('/admin/outage', async (c) => {
    const outage = await body(c, OutageSchema);
    if (!outage.ok) return refuse(c, outage.refusal);
    const { outageUntil } = faults.update({ outageUntil: Date.now() + outage.value.forMs } as Partial<F>);
    logger.info({ outageUntil: new Date(outageUntil).toISOString() }, 'outage until');
    return c.json({ outageUntil });
  });
}

/** `PUT /admin/stock/{location}/{sku}` `{physical}`: an opening balance, not a movement; the level, or 404 `unknown_location`. */
export function physicalStockRoute(
  app: Hono,
  { setPhysical, logger, refuse }: { setPhysical: (location: string, sku: string, physical: number) => Promise<StockLevel | 'unknown_location'>; logger: Logger; refuse: (c: Pick<Context, 'json'>, refusal: Refusal<'invalid_request' | 'unknown_location'>) => Response },
): void {
  app.put('/admin/stock/:location/:sku', async (c) => {
    const place = z.object({ location: LocationSchema, sku: SkuIdSchema }).safeParse(c.req.param());
    if (!place.success) return refuse(c, { code: 'invalid_request', message: 'not a location and a SKU', issues: issuesOf(place.error) });
    const stock = await body(c, PhysicalSchema);
    if (!stock.ok) return refuse(c, stock.refusal);
    const level = await setPhysical(place.data.location, place.data.sku, stock.value.physical);
    if (level === 'unknown_location') return refuse(c, { code: level, message: 'the warehouse has no such location' });
    logger.info({ ...place.data, physical: stock.value.physical }, 'physical stock set');
    return c.json(level);
  });
}
