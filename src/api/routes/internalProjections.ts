import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from '../auth';
import { errorResponse } from '../errors';
import { REGISTRY } from '../../../durable-objects/generations/registry';
import { respond } from '../respond';
import {
  AbandonShadowBodySchema,
  GenerationsSchema,
  ProjectionBatchResultSchema,
  ProjectionBatchSchema,
  RenewShadowBodySchema,
  ShadowAbandonedSchema,
  ShadowBodySchema,
  ShadowCreatedSchema,
  SwitchBodySchema,
} from '../../contract/schemas';
import { RebuildsSchema } from '../../contract/rebuildStatus';
import { body, errors, json, router } from './common';
import { writeViews } from '../projectionBatch';

/** The bridge's rebuild drives generations and writes shadow views through these (HMAC-signed). */
export const internalProjections = router();

const registry = (c: Context<AppEnv>) => c.env.GENERATIONS.getByName(REGISTRY);

/** Calls not about one SKU (generations, rebuild views, the live view) spend their signature at the registry. */
export async function isReplay(c: Context<AppEnv>): Promise<boolean> {
  const { signatureId, expiresAt } = c.get('internal');
  return !(await registry(c).acceptSignature(signatureId, expiresAt));
}

export const replayed = (c: Context<AppEnv>) => errorResponse(c, { code: 'invalid_signature', reason: 'replayed' }) as never;

internalProjections.openapi(
  createRoute({ method: 'get', path: '/', hide: true, responses: { 200: json(GenerationsSchema, 'the generations'), ...errors } }),
  async (c) => (await isReplay(c) ? replayed(c) : c.json(await registry(c).current())),
);

internalProjections.openapi(
  createRoute({
    method: 'post',
    path: '/shadow',
    hide: true,
    request: { body: body(ShadowBodySchema) },
    // 409 rebuild_running: another rebuild holds the shadow (its id, shadow, lease end and bridge in details).
    responses: { 200: json(ShadowCreatedSchema, 'a shadow generation leased to the rebuild (a shadow whose lease ran out retired)'), ...errors },
  }),
  async (c) => {
    if (await isReplay(c)) return replayed(c);
    const { rebuild, leaseSeconds, status } = c.req.valid('json');
    const created = await registry(c).createShadow(rebuild, leaseSeconds * 1000, status);
    if (!created.ok) return errorResponse(c, created.error) as never;
    return c.json(created.value, 200);
  },
);

internalProjections.openapi(
  createRoute({ method: 'get', path: '/rebuilds', hide: true, responses: { 200: json(RebuildsSchema, 'the running rebuild and the last finished'), ...errors } }),
  async (c) => (await isReplay(c) ? replayed(c) : c.json(await registry(c).rebuilds())),
);

internalProjections.openapi(
  createRoute({
    method: 'post',
    path: '/shadow/renew',
    hide: true,
    request: { body: body(RenewShadowBodySchema) },
    responses: { 200: json(GenerationsSchema, 'the lease of the shadow extended'), ...errors },
  }),
  async (c) => {
    if (await isReplay(c)) return replayed(c);
    const { generation, leaseSeconds, status } = c.req.valid('json');
    return respond(c, await registry(c).renewShadow(generation, leaseSeconds * 1000, status));
  },
);

internalProjections.openapi(
  createRoute({
    method: 'post',
    path: '/shadow/abandon',
    hide: true,
    request: { body: body(AbandonShadowBodySchema) },
    responses: { 200: json(ShadowAbandonedSchema, 'the shadow is no longer written; its keys are being deleted'), ...errors },
  }),
  async (c) => {
    if (await isReplay(c)) return replayed(c);
    const { generation, status } = c.req.valid('json');
    return c.json(await registry(c).abandonShadow(generation, status));
  },
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
    const { graceSeconds, generation, status } = c.req.valid('json');
    return respond(c, await registry(c).switchToShadow(graceSeconds * 1000, generation, status));
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
    const batch = c.req.valid('json');
    // Views for a generation that is not (or no longer) the shadow would only ever be deferred.
    const { shadow } = await registry(c).current();
    if (shadow !== batch.generation) {
      return errorResponse(c, { code: 'invalid_command', reason: `${batch.generation} is not the shadow generation (${shadow ?? 'there is none'})` }) as never;
    }
    return c.json(await writeViews(c.env, batch));
  },
);
