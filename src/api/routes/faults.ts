import { createRoute } from '@hono/zod-openapi';
import { ok } from '../../domain/core/result';
import { errorResponse } from '../errors';
import { streamOf } from '../../domain/sku';
import { stub } from '../../env';
import { respond } from '../respond';
import { RegionFaultBodySchema, RegionFaultSchema, SkuParamsSchema } from '../../contract/schemas';
import { body, errors, json, router } from './common';

/**
 * The regional drill's switch (ADR 0022, `npm run drill:region`): every shard of a SKU living in
 * one of `regionsDown` becomes unreachable, the others heal; `regionsDown: []` brings them all back.
 * Each shard decides from its own layout, so a lost shard 0 does not hide the others. Hidden from
 * the API description, and answered 403 unless the configuration allows fault injection (local and test).
 */
export const faults = router();

faults.openapi(
  createRoute({
    method: 'put',
    path: '/skus/{sku}/faults',
    hide: true,
    summary: "Make the shards in some regions unreachable, or bring them back (local and test only)",
    request: { params: SkuParamsSchema, body: body(RegionFaultBodySchema) },
    responses: { 200: json(RegionFaultSchema, 'each shard, where it lives and its fault now'), ...errors },
  }),
  async (c) => {
    const { sku } = c.req.valid('param');
    const { regionsDown, mode } = c.req.valid('json');
    const first = await stub(c.env, sku).setFault(regionsDown, mode);
    if (first === null) return errorResponse(c, { code: 'forbidden' }) as never;
    const rest = await Promise.all(Array.from({ length: first.shards - 1 }, (_, k) => stub(c.env, streamOf(sku, k + 1)).setFault(regionsDown, mode)));
    const shards = [first, ...rest].map((answer, shard) => ({ shard, region: answer?.region ?? null, mode: answer?.mode ?? 'none' }));
    return respond(c, ok({ sku, shards }));
  },
);
