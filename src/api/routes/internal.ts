import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { ticket } from '../../ticket';
import type { AppEnv } from '../auth';
import { errorResponse } from '../errors';
import { respond } from '../respond';
import {
  AllocationOutcomeSchema,
  EventPageSchema,
  EventsQuerySchema,
  ReservationSchema,
  StreamParamsSchema,
  SkuParamsSchema,
  StreamReservationParamsSchema,
} from '../../contract/schemas';
import { MovementCommandSchema, MovementResultSchema } from '../../contract/movements';
import { body, errors, json, router } from './common';
import { eventPage } from './eventPage';

/** Routes for the bridge only (HMAC-signed), kept out of the public OpenAPI document. */
export const internal = router();

/** A signature is good for one call: the SKU object it names refuses to see it twice. */
async function isReplay(c: Context<AppEnv>, sku: string): Promise<boolean> {
  const { signatureId, expiresAt } = c.get('internal');
  return !(await c.env.SKU.getByName(sku).acceptSignature(sku, signatureId, expiresAt));
}

internal.openapi(
  createRoute({
    method: 'get',
    path: '/skus/{sku}/events',
    hide: true,
    summary: 'The event log of a SKU, for the bridge to fill a gap it detected',
    request: { params: StreamParamsSchema, query: EventsQuerySchema },
    responses: { 200: json(EventPageSchema, 'events with version > after'), ...errors },
  }),
  async (c) => {
    const { sku } = c.req.valid('param');
    if (await isReplay(c, sku)) return errorResponse(c, { code: 'invalid_signature', reason: 'replayed' }) as never;
    const { after, limit } = c.req.valid('query');
    return respond(c, await eventPage(c.env, sku, after, limit));
  },
);

internal.openapi(
  createRoute({
    method: 'post',
    path: '/skus/{sku}/reservations/{id}/allocation',
    hide: true,
    summary: 'The WMS saga confirms an allocation, or compensates a failed one with a release',
    request: { params: StreamReservationParamsSchema, body: body(AllocationOutcomeSchema) },
    responses: { 200: json(ReservationSchema, 'the reservation after the verdict (idempotent)'), ...errors },
  }),
  async (c) => {
    const { sku, id } = c.req.valid('param');
    if (await isReplay(c, sku)) return errorResponse(c, { code: 'invalid_signature', reason: 'replayed' }) as never;
    const verdict = c.req.valid('json');
    const stub = c.env.SKU.getByName(sku);
    const ref = { sku, reservationId: id, location: verdict.location, resourcings: verdict.resourcings, ...(verdict.causedBy ? { causedBy: verdict.causedBy } : {}) };
    const outcome =
      verdict.outcome === 'confirmed'
        ? await stub.confirmAllocation({ ...ref, allocationId: verdict.allocationId, ...(verdict.reference ? { reference: verdict.reference } : {}) }, ticket(c.env))
        : await stub.failAllocation({ ...ref, reason: verdict.reason, ...(verdict.tried ? { tried: verdict.tried } : {}) }, ticket(c.env));
    return respond(c, outcome);
  },
);

internal.openapi(
  createRoute({
    method: 'post',
    path: '/skus/{sku}/movements',
    hide: true,
    summary: "The bridge's feed: one warehouse document moves a location's stock, once per document sequence",
    request: { params: SkuParamsSchema, body: body(MovementCommandSchema) },
    responses: { 200: json(MovementResultSchema, 'the location after the document (`applied: false`: counted already)'), ...errors },
  }),
  async (c) => {
    const { sku } = c.req.valid('param');
    if (await isReplay(c, sku)) return errorResponse(c, { code: 'invalid_signature', reason: 'replayed' }) as never;
    // `at` is the warehouse's time for the document; the event records when the edge applied it.
    const { at: _at, ...movement } = c.req.valid('json');
    return respond(c, await c.env.SKU.getByName(sku).applyMovement({ sku, ...movement }, ticket(c.env)));
  },
);
