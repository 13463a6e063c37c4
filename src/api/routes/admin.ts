import { createRoute } from '@hono/zod-openapi';
import { ticket } from '../../../durable-objects/sku/admission';
import { idempotencyInput } from '../idempotency';
import { respond } from '../respond';
import {
  AdminReleaseBodySchema,
  EventPageSchema,
  EventsQuerySchema,
  OptionalIdempotencyHeadersSchema,
  ReceiptBodySchema,
  RelayStatusSchema,
  ReservationParamsSchema,
  ReservationSchema,
  SetStockBodySchema,
  SkuCountersSchema,
  SkuParamsSchema,
} from '../schemas';
import { body, errors, json, router, security } from './common';
import { eventPage } from './eventPage';

export const admin = router();

admin.openapi(
  createRoute({
    method: 'put',
    path: '/skus/{sku}/stock',
    summary: 'Set the units on hand (and the per-customer limit)',
    description: 'Creates the SKU on first use. Refused with 409 `below_committed` under reserved + sold.',
    security,
    request: { params: SkuParamsSchema, body: body(SetStockBodySchema) },
    responses: { 200: json(SkuCountersSchema, 'the SKU after the change'), ...errors },
  }),
  async (c) => {
    const { sku } = c.req.valid('param');
    return respond(c, await c.env.SKU.getByName(sku).setStock({ sku, ...c.req.valid('json') }, undefined, ticket(c.env)));
  },
);

admin.openapi(
  createRoute({
    method: 'post',
    path: '/skus/{sku}/receipts',
    summary: 'Record units received from the warehouse',
    description: 'Idempotent when an `Idempotency-Key` is sent.',
    security,
    request: { params: SkuParamsSchema, headers: OptionalIdempotencyHeadersSchema, body: body(ReceiptBodySchema) },
    responses: { 200: json(SkuCountersSchema, 'the SKU after the receipt'), ...errors },
  }),
  async (c) => {
    const { sku } = c.req.valid('param');
    const receipt = c.req.valid('json');
    const key = c.req.valid('header')['idempotency-key'];
    const idempotency = key
      ? await idempotencyInput(c.get('principal'), '', 'POST /v1/admin/skus/{sku}/receipts', key, receipt)
      : undefined;
    return respond(c, await c.env.SKU.getByName(sku).receiveStock({ sku, ...receipt }, idempotency, ticket(c.env)));
  },
);

admin.openapi(
  createRoute({
    method: 'post',
    path: '/skus/{sku}/reservations/{id}/release',
    summary: 'Release any reservation (reason `admin`); a completed one is flagged for refund',
    security,
    request: { params: ReservationParamsSchema, body: body(AdminReleaseBodySchema) },
    responses: { 200: json(ReservationSchema, 'released (idempotent)'), ...errors },
  }),
  async (c) => {
    const { sku, id } = c.req.valid('param');
    const { expectedVersion } = c.req.valid('json');
    const req = expectedVersion === undefined ? { sku, reservationId: id } : { sku, reservationId: id, expectedVersion };
    return respond(c, await c.env.SKU.getByName(sku).adminRelease(req, ticket(c.env)));
  },
);

admin.openapi(
  createRoute({
    method: 'get',
    path: '/skus/{sku}/events',
    summary: 'The event log of a SKU, in order',
    security,
    request: { params: SkuParamsSchema, query: EventsQuerySchema },
    responses: { 200: json(EventPageSchema, 'events with version > after'), ...errors },
  }),
  async (c) => {
    const { sku } = c.req.valid('param');
    const { after, limit } = c.req.valid('query');
    return respond(c, await eventPage(c.env, sku, after, limit));
  },
);

admin.openapi(
  createRoute({
    method: 'get',
    path: '/skus/{sku}/relay',
    summary: 'How far the outbox push to the bridge got (relay lag)',
    security,
    request: { params: SkuParamsSchema },
    responses: { 200: json(RelayStatusSchema, 'the outbox and its push state'), ...errors },
  }),
  async (c) => {
    const { sku } = c.req.valid('param');
    return respond(c, await c.env.SKU.getByName(sku).relayStatus(sku));
  },
);
