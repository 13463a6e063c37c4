import { createRoute } from '@hono/zod-openapi';
import { ticket } from '../../ticket';
import { workerConfig } from '../../config';
import { errorResponse } from '../errors';
import { reservationSteps } from '../reservationSteps';
import { rateLimited } from '../rateLimits';
import { idempotencyInput } from '../idempotency';
import { soldOutAtEdge, storedView } from '../projection';
import { afterUnitsBack, learnFromReserve, soldOutAtEdgeNow, wantsObjectAnswer } from '../soldOutEdge';
import { recordReserve } from '../reservationMetrics';
import { respond } from '../respond';
import { onHomeShard, reservationStream } from '../../contract/routing';
import { stub } from '../../env';
import {
  CustomerBodySchema,
  CustomerHeaderSchema,
  CustomerQuerySchema,
  IdempotencyHeadersSchema,
  ReservationDetailSchema,
  ReservationParamsSchema,
  ReservationSchema,
  ReserveBodySchema,
  SkuParamsSchema,
} from '../../contract/schemas';
import { body, customerOf, errorsFor, json, REPLAYED, router, security } from './common';

export const reservations = router();

const RESERVE_ROUTE = 'POST /v1/skus/{sku}/reservations';

reservations.openapi(
  createRoute({
    method: 'post',
    path: '/{sku}/reservations',
    operationId: 'reserve',
    tags: ['reservations'],
    summary: 'Reserve units of a SKU for a customer',
    description: 'Idempotent by `Idempotency-Key`, scoped to (key owner, customerId, route).',
    security,
    request: { params: SkuParamsSchema, headers: IdempotencyHeadersSchema, body: body(ReserveBodySchema) },
    responses: {
      201: json(ReservationSchema, 'reserved (or the stored response, with `Idempotent-Replayed: true`)', REPLAYED),
      ...errorsFor('sku_not_found', 'invalid_command', 'insufficient_stock', 'customer_limit', 'sale_not_started', 'qty_over_maximum', 'idempotency_key_reused', 'rate_limited'),
    },
  }),
  async (c) => {
    const { sku } = c.req.valid('param');
    const { customerId, qty, ttlSeconds, region } = c.req.valid('json');
    const limited = await rateLimited(c, customerId);
    if (limited) {
      recordReserve(c.env, sku, 'rate_limited', qty, 'edge');
      return errorResponse(c, limited) as never;
    }
    const config = workerConfig(c.env);
    const ttl = ttlSeconds ?? config.DEFAULT_TTL_SECONDS;
    // The region only when given: a request without one hashes as before (its Idempotency-Key answers the same).
    const request = { customerId, qty, ttlSeconds: ttl, ...(region === undefined ? {} : { region }) };
    const key = c.req.valid('header')['idempotency-key'];
    if (config.SOLD_OUT_FAST_PATH) {
      if (soldOutAtEdge(await storedView(c.env, sku), Date.now(), config.SOLD_OUT_FRESH_MS)) {
        recordReserve(c.env, sku, 'insufficient_stock', qty, 'edge');
        return errorResponse(c, { code: 'insufficient_stock', available: 0, source: 'projection' }) as never;
      }
    }
    // ADR 0020: the objects' recent sold-out refusals answer here; a retry (no-cache) asks the object.
    const edgeMs = config.SOLD_OUT_EDGE_MS;
    if (edgeMs > 0 && !wantsObjectAnswer(c.req.header('cache-control')) && (await soldOutAtEdgeNow(sku, edgeMs, Date.now()))) {
      recordReserve(c.env, sku, 'insufficient_stock', qty, 'edge');
      c.header('Cache-Status', 'inventory-edge; hit');
      return errorResponse(c, { code: 'insufficient_stock', available: 0 }) as never;
    }
    const idempotency = await idempotencyInput(c.get('principal'), customerId, RESERVE_ROUTE, key, request);
    let sentTo = { stream: sku, at: 0 };
    const retry = wantsObjectAnswer(c.req.header('cache-control'));
    const replayAt = retry ? (stream: string) => stub(c.env, stream).replayReserve(stream, idempotency) : undefined;
    const failover = { afterMs: config.FAILOVER_AFTER_MS, regions: config.SHARD_REGIONS, replayAt };
    const outcome = await onHomeShard(sku, customerId, (stream, rehomedFrom) => {
      sentTo = { stream, at: Date.now() };
      return stub(c.env, stream).reserve({ sku: stream, ...request, ...(ttlSeconds === undefined ? { ttlDefaulted: true as const } : {}), ...(rehomedFrom === undefined ? {} : { rehomedFrom }) }, idempotency, ticket(c.env));
    }, failover);
    if (edgeMs > 0) {
      const caching = learnFromReserve(sku, sentTo.stream, sentTo.at, outcome, edgeMs, Date.now(), qty);
      if (caching) c.executionCtx.waitUntil(caching);
    }
    recordReserve(c.env, sku, outcome.ok ? 'reserved' : outcome.error.code, qty);
    return respond(c, outcome, 201);
  },
);

reservations.openapi(
  createRoute({
    method: 'get',
    path: '/{sku}/reservations/{id}',
    operationId: 'getReservation',
    tags: ['reservations'],
    summary: 'A reservation and its history',
    security,
    request: { params: ReservationParamsSchema, query: CustomerQuerySchema, headers: CustomerHeaderSchema },
    responses: { 200: json(ReservationDetailSchema, 'the reservation'), ...errorsFor('reservation_not_found') },
  }),
  async (c) => {
    const { sku, id } = c.req.valid('param');
    const customer = customerOf(c, c.req.valid('header')['x-customer-id'], c.req.valid('query').customerId);
    if (!customer.ok) return errorResponse(c, customer.error) as never;
    const customerId = customer.value;
    const stream = reservationStream(sku, id);
    const found = await stub(c.env, stream).reservation({ sku: stream, reservationId: id, customerId });
    return respond(c, found.ok ? { ok: true, value: { ...found.value, history: reservationSteps(found.value.history) } } : found);
  },
);

reservations.openapi(
  createRoute({
    method: 'post',
    path: '/{sku}/reservations/{id}/complete',
    operationId: 'completeReservation',
    tags: ['reservations'],
    summary: 'The buyer completed the purchase: the units are sold and the TTL stops',
    security,
    request: { params: ReservationParamsSchema, body: body(CustomerBodySchema) },
    responses: { 200: json(ReservationSchema, 'completed (idempotent)'), ...errorsFor('reservation_not_found', 'reservation_released', 'reservation_expired') },
  }),
  async (c) => {
    const { sku, id } = c.req.valid('param');
    const { customerId } = c.req.valid('json');
    const stream = reservationStream(sku, id);
    return respond(c, await stub(c.env, stream).complete({ sku: stream, reservationId: id, customerId }, ticket(c.env)));
  },
);

reservations.openapi(
  createRoute({
    method: 'delete',
    path: '/{sku}/reservations/{id}',
    operationId: 'cancelReservation',
    tags: ['reservations'],
    summary: 'Cancel a held reservation: the units return to available',
    security,
    request: { params: ReservationParamsSchema, query: CustomerQuerySchema, headers: CustomerHeaderSchema },
    responses: { 200: json(ReservationSchema, 'released as cancelled (idempotent)'), ...errorsFor('reservation_not_found', 'reservation_completed', 'reservation_expired') },
  }),
  async (c) => {
    const { sku, id } = c.req.valid('param');
    const customer = customerOf(c, c.req.valid('header')['x-customer-id'], c.req.valid('query').customerId);
    if (!customer.ok) return errorResponse(c, customer.error) as never;
    const customerId = customer.value;
    const stream = reservationStream(sku, id);
    return respond(c, afterUnitsBack(c, sku, await stub(c.env, stream).cancel({ sku: stream, reservationId: id, customerId }, ticket(c.env))));
  },
);

