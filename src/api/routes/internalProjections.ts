import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from '../auth';
import { errorResponse } from '../errors';
import { REGISTRY } from '../generations';
import { respond } from '../respond';
import { GenerationsSchema, ProjectionBatchResultSchema, ProjectionBatchSchema, SwitchBodySchema } from '../schemas';
import { body, errors, json, router } from './common';

/** The bridge's rebuild drives generations and writes shadow views through these (HMAC-signed). */
export const internalProjections = router();

const registry = (c: Context<AppEnv>) => c.env.GENERATIONS.getByName(REGISTRY);

async function isReplay(c: Context<AppEnv>): Promise<boolean> {
  const { signatureId, expiresAt } = c.get('internal');
  return !(await registry(c).acceptSignature(signatureId, expiresAt));
}

const replayed = (c: Context<AppEnv>) => errorResponse(c, { code: 'invalid_signature', reason: 'replayed' }) as never;

internalProjections.openapi(
  createRoute({ method: 'get', path: '/', hide: true, responses: { 200: json(GenerationsSchema, 'the generations'), ...errors } }),
  async (c) => (await isReplay(c) ? replayed(c) : c.json(await registry(c).current())),
);

internalProjections.openapi(
  createRoute({ method: 'post', path: '/shadow', hide: true, responses: { 200: json(GenerationsSchema, 'with a shadow generation'), ...errors } }),
  async (c) => (await isReplay(c) ? replayed(c) : c.json(await registry(c).createShadow())),
);

internalProjections.openapi(
  createRoute({
    method: 'post',
    path: '/switch',
    hide: true,
    request: { body: body(SwitchBodySchema) },
    responses: { 200: json(GenerationsSchema, 'the shadow is active'), ...errors },
  }),
  async (c) => {
    if (await isReplay(c)) return replayed(c);
    return respond(c, await registry(c).switchToShadow(c.req.valid('json').graceSeconds * 1000));
  },
);

internalProjections.openapi(
  createRoute({
    method: 'post',
    path: '/views',
    hide: true,
    request: { body: body(ProjectionBatchSchema) },
    responses: { 200: json(ProjectionBatchResultSchema, 'what each SKU object did with its view'), ...errors },
  }),
  async (c) => {
    if (await isReplay(c)) return replayed(c);
    const { generation, views } = c.req.valid('json');
    const counts = { written: 0, stale: 0, deferred: 0, refused: 0 };
    await Promise.all(
      views.map(async (view) => {
        const outcome = await c.env.SKU.getByName(view.sku).projectInto(view.sku, generation, view);
        counts[outcome.ok ? outcome.value.result : 'refused']++;
      }),
    );
    return c.json(counts);
  },
);
