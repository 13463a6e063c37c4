import { createRoute } from '@hono/zod-openapi';
import { skuStats } from '../shards';
import { StatsRequestSchema, StatsSchema } from '../../contract/schemas';
import { body, errors, json, router } from './common';
import { isReplay, replayed } from './internalProjections';

/** The live view the bridge's dashboard polls (HMAC-signed, one signature per poll, not per SKU). */
export const internalStats = router();

internalStats.openapi(
  createRoute({
    method: 'post',
    path: '/',
    hide: true,
    summary: 'Counters and reserve outcomes of a few SKUs, summed over their shards',
    request: { body: body(StatsRequestSchema) },
    responses: { 200: json(StatsSchema, 'the SKUs that exist, in the order asked'), ...errors },
  }),
  async (c) => {
    if (await isReplay(c)) return replayed(c);
    const found = await Promise.all(c.req.valid('json').skus.map((sku) => skuStats(c.env, sku)));
    return c.json({ skus: found.filter((s) => s !== null) });
  },
);
