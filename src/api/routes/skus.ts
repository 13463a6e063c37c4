import { createRoute } from '@hono/zod-openapi';
import { countersOf, storedView } from '../projection';
import { respond } from '../respond';
import { primaryCounters } from '../shards';
import { ConsistentQuerySchema, SkuParamsSchema, SkuViewSchema } from '../../contract/schemas';
import { errorsFor, json, router, security } from './common';

export const skus = router();

skus.openapi(
  createRoute({
    method: 'get',
    path: '/{sku}',
    operationId: 'getSku',
    tags: ['stock'],
    summary: 'Stock of one SKU',
    description:
      'From the read model in KV (`source: "projection"`, possibly a second or so behind); from the SKU object ' +
      '(`source: "primary"`) with `consistent=true` or while the SKU has no view yet.',
    security,
    request: { params: SkuParamsSchema, query: ConsistentQuerySchema },
    responses: {
      200: json(SkuViewSchema, 'the SKU counters', { 'Cache-Control': { description: '`private, max-age=1` from the read model, `no-store` from the object', schema: { type: 'string' } } }), ...errorsFor('sku_not_found') },
  }),
  async (c) => {
    const { sku } = c.req.valid('param');
    if (c.req.valid('query').consistent !== 'true') {
      const stored = await storedView(c.env, sku);
      if (stored) {
        // As fresh as the projection itself: a browser or the shop's backend may reuse it for a second.
        c.header('Cache-Control', 'private, max-age=1');
        return respond(c, { ok: true, value: { ...countersOf(stored), source: 'projection' as const } });
      }
    }
    const outcome = await primaryCounters(c.env, sku);
    c.header('Cache-Control', 'no-store');
    return respond(c, outcome.ok ? { ok: true, value: { ...outcome.value, source: 'primary' as const } } : outcome);
  },
);
