import { createRoute } from '@hono/zod-openapi';
import { ticket } from '../../ticket';
import { idempotencyInput } from '../idempotency';
import { respond } from '../respond';
import { reservationStream } from '../../contract/routing';
import { stub } from '../../env';
import { countersByShard, receiveStock, setStock } from '../shards';
import { afterUnitsBack } from '../soldOutEdge';
import { regionOfShard, streamOf, sumCounters } from '../../domain/sku';
import { AdjustmentBodySchema, MovementResultSchema } from '../../contract/movements';
import type { Principal } from '../auth';
import {
  AdminReleaseBodySchema,
  EventPageSchema,
  EventsQuerySchema,
  IdempotencyHeadersSchema,
  OptionalIdempotencyHeadersSchema,
  ReceiptBodySchema,
  RelayStatusSchema,
  ReservationParamsSchema,
  ReservationSchema,
  SetStockBodySchema,
  ShardQuerySchema,
  ShardsViewSchema,
  SkuCountersSchema,
  SkuParamsSchema,
} from '../../contract/schemas';
import { body, errorsFor, json, REPLAYED, router, security } from './common';
import { eventPage } from './eventPage';

export const admin = router();

/** Who changed stock by hand, on the events (audit): the admin key's id, never the key. */
const byAdmin = (principal: Principal) => ({ kind: 'admin' as const, keyId: principal.owner });

admin.openapi(
  createRoute({
    method: 'put',
    path: '/skus/{sku}/stock',
    operationId: 'setStock',
    tags: ['admin'],
    summary: 'Set the units on hand (and the per-customer limit)',
    description:
      'Creates the SKU on first use. Refused with 409 `below_committed` under reserved + sold, and with 409 `location_fed` ' +
      "at a location fed by a warehouse (post an adjustment instead). `shards` splits a hot SKU's stock over that many " +
      'objects (see docs/architecture.md, sharding); the counters answered are then their sum.',
    security,
    request: { params: SkuParamsSchema, body: body(SetStockBodySchema) },
    responses: {
      200: json(SkuCountersSchema, 'the SKU after the change', REPLAYED),
      ...errorsFor('forbidden', 'invalid_command', 'below_committed', 'location_fed', 'version_conflict', 'idempotency_key_reused'),
    },
  }),
  async (c) => {
    const { sku } = c.req.valid('param');
    return respond(c, afterUnitsBack(c, sku, await setStock(c.env, sku, { ...c.req.valid('json'), cause: byAdmin(c.get('principal')) }, ticket(c.env))));
  },
);

admin.openapi(
  createRoute({
    method: 'post',
    path: '/skus/{sku}/receipts',
    operationId: 'receiveStock',
    tags: ['admin'],
    summary: 'Record units received from the warehouse',
    description: 'Idempotent when an `Idempotency-Key` is sent. Refused with 409 `location_fed` at a location fed by a warehouse.',
    security,
    request: { params: SkuParamsSchema, headers: OptionalIdempotencyHeadersSchema, body: body(ReceiptBodySchema) },
    responses: {
      200: json(SkuCountersSchema, 'the SKU after the receipt', REPLAYED),
      ...errorsFor('forbidden', 'sku_not_found', 'invalid_command', 'location_fed', 'version_conflict', 'idempotency_key_reused'),
    },
  }),
  async (c) => {
    const { sku } = c.req.valid('param');
    const receipt = c.req.valid('json');
    const key = c.req.valid('header')['idempotency-key'];
    const idempotency = key
      ? await idempotencyInput(c.get('principal'), '', 'POST /v1/admin/skus/{sku}/receipts', key, receipt)
      : undefined;
    // The key id rides beside the fingerprinted body: the scope already names the key, so the same request replays alike.
    return respond(c, afterUnitsBack(c, sku, await receiveStock(c.env, sku, { ...receipt, cause: byAdmin(c.get('principal')) }, idempotency, ticket(c.env))));
  },
);

admin.openapi(
  createRoute({
    method: 'post',
    path: '/skus/{sku}/reservations/{id}/release',
    operationId: 'releaseReservation',
    tags: ['admin'],
    summary: 'Release any reservation (reason `admin`); a completed one is flagged for refund',
    security,
    request: { params: ReservationParamsSchema, body: body(AdminReleaseBodySchema) },
    responses: { 200: json(ReservationSchema, 'released (idempotent)'), ...errorsFor('forbidden', 'sku_not_found', 'reservation_not_found', 'reservation_released', 'version_conflict') },
  }),
  async (c) => {
    const { sku, id } = c.req.valid('param');
    const { expectedVersion } = c.req.valid('json');
    const stream = reservationStream(sku, id);
    const req = { sku: stream, reservationId: id, ...(expectedVersion === undefined ? {} : { expectedVersion }), cause: byAdmin(c.get('principal')) };
    return respond(c, await stub(c.env, stream).adminRelease(req, ticket(c.env)));
  },
);

admin.openapi(
  createRoute({
    method: 'post',
    path: '/skus/{sku}/adjustments',
    operationId: 'adjustLocation',
    tags: ['admin'],
    summary: "Repair a location's stock by a signed delta (reconcile --repair), citing the warehouse document",
    description:
      'Records a StockMoved whose cause is a repair by this admin key (its id). Below what the location committed, the ' +
      'shortfall rule applies (docs/architecture.md). On a sharded SKU it is applied at shard 0 once the location\'s units are ' +
      'brought home from the other shards (503 while one does not answer). Requires an `Idempotency-Key`.',
    security,
    request: { params: SkuParamsSchema, headers: IdempotencyHeadersSchema, body: body(AdjustmentBodySchema) },
    responses: {
      200: json(MovementResultSchema, 'the location after the repair, and the shortfall it caused', REPLAYED),
      ...errorsFor('forbidden', 'sku_not_found', 'invalid_command', 'idempotency_key_reused'),
    },
  }),
  async (c) => {
    const { sku } = c.req.valid('param');
    const adjustment = c.req.valid('json');
    const principal = c.get('principal');
    const key = c.req.valid('header')['idempotency-key'];
    const idempotency = await idempotencyInput(principal, '', 'POST /v1/admin/skus/{sku}/adjustments', key, adjustment);
    const req = { sku, ...adjustment, keyId: principal.owner };
    return respond(c, await stub(c.env, sku).adjustLocation(req, idempotency, ticket(c.env)));
  },
);

admin.openapi(
  createRoute({
    method: 'get',
    path: '/skus/{sku}/events',
    operationId: 'listSkuEvents',
    tags: ['admin'],
    summary: 'The event log of a SKU (or of one of its shards), in order',
    security,
    request: { params: SkuParamsSchema, query: EventsQuerySchema.extend(ShardQuerySchema.shape) },
    responses: { 200: json(EventPageSchema, 'events with version > after'), ...errorsFor('forbidden', 'sku_not_found') },
  }),
  async (c) => {
    const { sku } = c.req.valid('param');
    const { after, limit, shard } = c.req.valid('query');
    return respond(c, await eventPage(c.env, streamOf(sku, shard), after, limit));
  },
);

admin.openapi(
  createRoute({
    method: 'get',
    path: '/skus/{sku}/relay',
    operationId: 'getRelayStatus',
    tags: ['admin'],
    summary: 'How far the outbox push to the bridge got (relay lag), for the SKU or one of its shards',
    security,
    request: { params: SkuParamsSchema, query: ShardQuerySchema },
    responses: { 200: json(RelayStatusSchema, 'the outbox and its push state'), ...errorsFor('forbidden', 'sku_not_found') },
  }),
  async (c) => {
    const { sku } = c.req.valid('param');
    const stream = streamOf(sku, c.req.valid('query').shard);
    return respond(c, await stub(c.env, stream).relayStatus(stream));
  },
);

admin.openapi(
  createRoute({
    method: 'get',
    path: '/skus/{sku}/shards',
    operationId: 'getShards',
    tags: ['admin'],
    summary: "Each shard's counters (one for an unsharded SKU) and their sum, from the objects",
    security,
    request: { params: SkuParamsSchema },
    responses: { 200: json(ShardsViewSchema, 'the stock, shard by shard'), ...errorsFor('forbidden', 'sku_not_found') },
  }),
  async (c) => {
    const { sku } = c.req.valid('param');
    const parts = await countersByShard(c.env, sku);
    if (!parts.ok) return respond(c, parts);
    const total = sumCounters(sku, parts.value);
    const regions = total.shardRegions;
    const shards = parts.value.map((p, shard) => ({ ...p, shard, ...(regions ? { region: regionOfShard(regions, shard) } : {}) }));
    return respond(c, { ok: true, value: { sku, total, shards } });
  },
);
