import { createRoute } from '@hono/zod-openapi';
import { respond } from '../respond';
import { ConsistentQuerySchema, SkuParamsSchema, SkuViewSchema } from '../schemas';
import { errors, json, router, security } from './common';

export const skus = router();

skus.openapi(
  createRoute({
    method: 'get',
    path: '/{sku}',
    summary: 'Stock of one SKU',
    description: 'Served by the SKU object for now (`source: "primary"`); `consistent=true` always is.',
    security,
    request: { params: SkuParamsSchema, query: ConsistentQuerySchema },
    responses: { 200: json(SkuViewSchema, 'the SKU counters'), 400: errors[400], 401: errors[401], 404: errors[404] },
  }),
  async (c) => {
    const { sku } = c.req.valid('param');
    const outcome = await c.env.SKU.getByName(sku).counters(sku);
    c.header('Cache-Control', 'no-store');
    return respond(c, outcome.ok ? { ok: true, value: { ...outcome.value, source: 'primary' as const } } : outcome);
  },
);
