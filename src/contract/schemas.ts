import { z } from 'zod';
import { CartSchema, MAX_CART_LINES } from '../domain/checkout';
import { VectorClockSchema } from '../domain/core/vectorClock';
import { RebuildIdSchema, RebuildReportSchema } from './rebuildStatus';
import {
  CustomerIdSchema,
  DEFAULT_TTL_SECONDS,
  LocationIdSchema,
  MAX_QTY,
  QtySchema,
  RegionSchema,
  RELEASE_REASONS,
  FailoverLimitsSchema,
  ShardRegionSchema,
  ShardRegionsSchema,
  ShardsSchema,
  SkuEventSchema,
  SkuIdSchema,
  StreamIdSchema,
  TtlSecondsSchema,
  SalePolicySchema,
  ReservationIdSchema,
} from '../domain/sku';

/**
 * One schema per wire shape: routes validate with them, OpenAPI documents them, tests reuse them.
 * Documentation rides on zod's own `.meta()`, so it works whichever module created the schema.
 */
export const SkuParamsSchema = z.object({
  sku: SkuIdSchema.meta({ param: { name: 'sku', in: 'path' }, example: 'SNEAKER-42' }),
});
export const ReservationParamsSchema = SkuParamsSchema.extend({
  id: ReservationIdSchema.meta({ param: { name: 'id', in: 'path' }, example: 'res_4k2m9q0c7f1h3j5n8p0r2t4v6x' }),
});

/** Internal routes name a stream: the SKU, or one of its shards (`SKU~k`). */
export const StreamParamsSchema = z.object({
  sku: StreamIdSchema.meta({ param: { name: 'sku', in: 'path' }, example: 'SNEAKER-42~3' }),
});
export const StreamReservationParamsSchema = StreamParamsSchema.extend({ id: ReservationParamsSchema.shape.id });
/** Admin reads of one shard's stream of a sharded SKU (0: the SKU's own). */
export const ShardQuerySchema = z.object({
  shard: z.coerce.number().pipe(z.int().min(0).max(63)).default(0).meta({ description: "one shard's stream of a sharded SKU (default 0)" }),
});

export const IdempotencyKeySchema = z
  .string()
  .regex(/^[\x20-\x7e]{1,255}$/, 'Idempotency-Key must be 1-255 printable ASCII characters');
export const IdempotencyHeadersSchema = z.object({
  'idempotency-key': IdempotencyKeySchema.meta({ description: 'Idempotency-Key header' }),
});
export const OptionalIdempotencyHeadersSchema = z.object({
  'idempotency-key': IdempotencyKeySchema.optional().meta({ description: 'Idempotency-Key header' }),
});

export const ReserveBodySchema = z
  .strictObject({
    customerId: CustomerIdSchema,
    qty: QtySchema,
    ttlSeconds: TtlSecondsSchema.optional().meta({ description: `default ${DEFAULT_TTL_SECONDS}` }),
    region: RegionSchema.optional().meta({ description: "the buyer's region: the units come from a location of that region when one has them all" }),
  })
  .meta({ id: 'ReserveRequest' });

export const CheckoutBodySchema = z
  .strictObject({
    customerId: CustomerIdSchema,
    lines: CartSchema.meta({ description: `1..${MAX_CART_LINES} lines ({sku, qty, region?}); lines of one SKU are merged (and must name the same region)` }),
    ttlSeconds: TtlSecondsSchema.optional().meta({ description: `default ${DEFAULT_TTL_SECONDS}` }),
    region: RegionSchema.optional().meta({ description: "the buyer's region, for every line that names none: each line's units come from a location of its region when one has them all" }),
  })
  .meta({ id: 'CheckoutRequest' });

export const CheckoutParamsSchema = z.object({
  id: z.string().regex(/^chk_[0-9a-f]{32}$/, 'a checkout id').meta({ param: { name: 'id', in: 'path' } }),
});

export const CheckoutSchema = z
  .object({
    checkoutId: z.string(),
    customerId: z.string(),
    status: z.enum(['reserving', 'reserved', 'compensating', 'failed', 'completing', 'completed', 'cancelling', 'cancelled']),
    lines: z.array(
      z.object({
        sku: z.string(),
        qty: z.int(),
        region: z.string().optional().meta({ description: "the region the line was sourced by (its own, else the checkout's)" }),
        reservationId: z.string().nullable(),
        state: z.enum(['pending', 'held', 'refused', 'released', 'completed']),
        location: z.string().optional().meta({ description: 'where its units were sourced when reserved; absent before, or on a SKU that names no location' }),
      }),
    ),
    refusal: z.object({ sku: z.string(), code: z.string(), details: z.record(z.string(), z.unknown()) }).nullable(),
    version: z.int(),
  })
  .meta({ id: 'Checkout' });

export const CustomerBodySchema = z.strictObject({ customerId: CustomerIdSchema }).meta({ id: 'CustomerRequest' });
/**
 * Who looks a reservation or a checkout up: the `X-Customer-Id` header (issue 26: a query string
 * reaches request logs); the `customerId` query parameter is still read, deprecated.
 */
export const CustomerHeaderSchema = z.object({
  'x-customer-id': CustomerIdSchema.optional().meta({ description: 'the customer whose reservation or checkout this is (required unless the deprecated `customerId` query parameter is sent)' }),
});
export const CustomerQuerySchema = z.object({
  customerId: CustomerIdSchema.optional().meta({ deprecated: true, description: 'deprecated: send the `X-Customer-Id` header instead (a query string reaches request logs); answers carry `Deprecation: true`' }),
});
export const ConsistentQuerySchema = z.object({ consistent: z.enum(['true', 'false']).optional() });

const LocationSchema = LocationIdSchema.optional().meta({
  description: 'the warehouse site whose units these are, e.g. `AMS-1` (omit: the implicit `default`; not on a sharded SKU)',
});
const ExpectedVersionSchema = z.int().min(0).optional().meta({ description: 'refuse with 409 unless the SKU is at this version' });
/** A change of a SKU's sale policy (issue 26, `src/domain/sku/salePolicy.ts`): a field left out keeps its rule, null removes it. */
export const SalePolicyChangeSchema = z
  .strictObject({
    maxQtyPerReservation: z.int().min(1).max(MAX_QTY).nullable().optional()
      .meta({ description: 'a reserve (or a checkout line) of more units is refused `qty_over_maximum`' }),
    maxHoldSeconds: TtlSecondsSchema.nullable().optional()
      .meta({ description: 'a reservation is held at most this long: a longer `ttlSeconds` is shortened to it (the answer\'s `expiresAt` says so)' }),
    defaultHoldSeconds: TtlSecondsSchema.nullable().optional()
      .meta({ description: 'the hold when the buyer asks none (else the `DEFAULT_TTL_SECONDS` var); at most `maxHoldSeconds`' }),
    startsAt: z.iso.datetime().nullable().optional()
      .meta({ description: 'reserves before this instant are refused `sale_not_started` (details: `startsAt`)' }),
  })
  .meta({ id: 'SalePolicyChange', description: "the SKU's sale policy, enforced by its object on every reserve and checkout line; omit a field to keep its rule, null to remove it" });

export const SetStockBodySchema = z
  .strictObject({
    onHand: z.int().min(0).max(1_000_000_000),
    limitPerCustomer: z.int().min(1).max(MAX_QTY).nullable().optional()
      .meta({ description: 'omit to keep the current limit, null to remove it' }),
    shards: ShardsSchema.optional().meta({
      description: 'split a hot SKU over this many shard objects (1..64; omit to keep the layout). It can grow, not shrink; ' +
        'with a per-customer limit it changes only while nothing is held or sold',
    }),
    shardRegions: ShardRegionsSchema.optional().meta({
      description: 'where the shards live, as Durable Object location hints: shard k in the (k mod R)-th (default: the ' +
        "`SHARD_REGIONS` var, `enam,wnam,weur,apac`). A hint counts when a shard is created, so a list that would move a placed shard is refused; needs `shards` > 1",
    }),
    policy: SalePolicyChangeSchema.optional(),
    failoverLimits: FailoverLimitsSchema.optional().meta({
      description: "while a customer's home shard is unreachable: `relaxed` (default) serves them from a sibling in another region, " +
        'where they may hold one limit more; `strict` answers them 503 until their home answers. Needs `shards` > 1',
    }),
    expectedVersion: ExpectedVersionSchema,
    location: LocationSchema,
    priority: z.int().min(0).max(1_000_000).optional()
      .meta({ description: "the location's sourcing priority, lower first (default 0; omit to keep it); needs `location`" }),
    region: RegionSchema.nullable().optional()
      .meta({ description: "the location's region, matched against a buyer's (null to remove it; omit to keep it); needs `location`" }),
  })
  .meta({ id: 'SetStockRequest' });
export const ReceiptBodySchema = z
  .strictObject({ qty: QtySchema, expectedVersion: ExpectedVersionSchema, location: LocationSchema })
  .meta({ id: 'ReceiptRequest' });
export const AdminReleaseBodySchema = z.strictObject({ expectedVersion: ExpectedVersionSchema }).meta({ id: 'AdminReleaseRequest' });

export const EventsQuerySchema = z.object({
  after: z.coerce.number().pipe(z.int().min(0)).default(0),
  limit: z.coerce.number().pipe(z.int().min(1).max(1000)).default(100),
});

export const SkuViewSchema = z
  .object({
    sku: z.string(),
    onHand: z.int(),
    reserved: z.int(),
    sold: z.int(),
    available: z.int(),
    limitPerCustomer: z.int().nullable(),
    shards: z.int().optional().meta({ description: 'present when the stock is split over shards: the counters are their sum, and `version` the sum of theirs' }),
    failoverLimits: z.literal('strict').optional().meta({ description: 'present when re-homed customers are refused rather than served past their limit' }),
    shardRegions: z.array(ShardRegionSchema).optional().meta({ description: 'where the shards live (shard k in the (k mod R)-th region), when recorded' }),
    policy: SalePolicySchema.optional().meta({ id: 'SalePolicy', description: 'present when the SKU has a sale policy: each rule, null where none' }),
    locations: z
      .array(z.object({
        location: z.string(), onHand: z.int(), reserved: z.int(), sold: z.int(), available: z.int(),
        fed: z.object({ warehouse: z.string(), sequence: z.int() }).nullable()
          .meta({ description: 'the warehouse whose documents feed this location, and the last document sequence applied; null when its stock is set by hand' }),
      }))
      .optional()
      .meta({ description: 'present when the SKU named a location: each one\'s counters, whose sums are the counters above' }),
    version: z.int(),
    asOf: z.iso.datetime().nullable(),
    source: z.enum(['projection', 'primary']),
  })
  .meta({ id: 'SkuView' });
export const SkuCountersSchema = SkuViewSchema.omit({ source: true }).meta({ id: 'SkuCounters' });

/** The operators' live view of a few SKUs (the bridge's dashboard asks for the active ones). */
export const StatsRequestSchema = z.object({ skus: z.array(SkuIdSchema).min(1).max(50) });
/** Customers a SKU's live view names as its top holders (issue 26). */
export const TOP_HOLDERS = 5;
export const SkuStatsSchema = z.object({
  sku: z.string(),
  counters: SkuCountersSchema,
  /** Reserve outcomes by code (`reserved` or the refusal's code), counted in memory by each object. */
  outcomes: z.record(z.string(), z.int()),
  /** Since when the youngest of the SKU's objects counts: rates are only meaningful after it. */
  since: z.string(),
  /**
   * Hoarding (issue 26): the customers holding most units now (top 5, over every shard), and the
   * units held then let expire unbought over the SKU's life (beside `counters.sold`).
   */
  hoarding: z.object({ topHolders: z.array(z.object({ customerId: z.string(), units: z.int() })), expiredUnits: z.int() }).optional(),
});
export const StatsSchema = z.object({ skus: z.array(SkuStatsSchema) });

export const ShardsViewSchema = z
  .object({ sku: z.string(), total: SkuCountersSchema, shards: z.array(SkuCountersSchema.extend({ shard: z.int(), region: ShardRegionSchema.optional().meta({ description: 'the region the shard lives in, when the layout recorded regions' }) })) })
  .meta({ id: 'ShardsView' });

export const ReservationSchema = z
  .object({
    reservationId: z.string(),
    sku: z.string(),
    customerId: z.string(),
    qty: z.int(),
    status: z.enum(['held', 'completed', 'released']),
    allocation: z.enum(['pending', 'allocated', 'failed']),
    expiresAt: z.iso.datetime(),
    releaseReason: z.enum(RELEASE_REASONS).nullable(),
    refundDue: z.boolean(),
    location: z.string().optional().meta({ description: 'the location the units come from; absent on a SKU that named none' }),
    version: z.int(),
  })
  .meta({ id: 'Reservation' });
/** A checkout with each held line's reservation as its SKU object has it now (allocation, purchase). */
export const CheckoutDetailSchema = CheckoutSchema.extend({
  lines: z.array(
    CheckoutSchema.shape.lines.element.extend({
      // location: where the reservation is now (a re-sourcing may have moved it since the line was reserved).
      reservation: ReservationSchema.pick({ status: true, allocation: true, expiresAt: true, releaseReason: true, refundDue: true, location: true }).nullable(),
    }),
  ),
}).meta({ id: 'CheckoutDetail' });

/**
 * One step of a reservation as its buyer may see it (issue 26): what happened and when, without
 * the log's internals (versions, vector clocks, the warehouse's allocation id, who caused it).
 * The whole events are the admin's (`GET /v1/admin/skus/{sku}/events`).
 */
export const ReservationStepSchema = z
  .object({
    type: z.enum(['StockReserved', 'AllocationConfirmed', 'ReservationCompleted', 'StockReleased', 'ReservationResourced']),
    at: z.iso.datetime(),
    qty: z.int().optional(),
    expiresAt: z.iso.datetime().optional(),
    reason: z.string().optional().meta({ description: 'why it was released or moved' }),
    refundDue: z.boolean().optional(),
    location: z.string().optional().meta({ description: 'where its units come from (after a move: where they went)' }),
  })
  .meta({ id: 'ReservationStep' });
export type ReservationStep = z.infer<typeof ReservationStepSchema>;
export const ReservationDetailSchema = ReservationSchema.extend({ history: z.array(ReservationStepSchema) }).meta({ id: 'ReservationDetail' });

export const EventPageSchema = z
  .object({ sku: z.string(), events: z.array(SkuEventSchema), lastVersion: z.int(), nextAfter: z.int().nullable() })
  .meta({ id: 'EventPage' });

export const RelayStatusSchema = z
  .object({
    sku: z.string(),
    lastVersion: z.int().meta({ description: 'newest version in the log' }),
    relayedVersion: z.int().meta({ description: 'newest version the bridge acknowledged' }),
    pending: z.int().meta({ description: 'events waiting in the outbox' }),
    oldestPendingAt: z.int().nullable().meta({ description: 'epoch ms the oldest waiting event was committed' }),
    attempts: z.int().meta({ description: 'failed pushes in a row' }),
    nextAttemptAt: z.int().nullable().meta({ description: 'epoch ms of the next push while backing off' }),
    lastError: z.string().nullable(),
    lastRelayedAt: z.int().nullable(),
  })
  .meta({ id: 'RelayStatus' });

/**
 * What every verdict may say about when the saga decided it: `location`, where its allocation is;
 * `resourcings`, how many re-sourcings it had read. One about a location the reservation left, or
 * decided before its latest re-sourcing, is refused (ADR 0015); absent (an older bridge): not checked.
 */
const verdictBasis = { causedBy: VectorClockSchema.optional(), location: LocationIdSchema.optional(), resourcings: z.int().min(0).optional() };
/** The saga's verdict on a reservation's allocation, sent by the bridge (internal route). */
export const AllocationOutcomeSchema = z
  .discriminatedUnion('outcome', [
    z.strictObject({
      outcome: z.literal('confirmed'),
      allocationId: z.string().min(1).max(128),
      // The warehouse reference the units are allocated under: the events that later move or release them name it.
      reference: z.string().min(1).max(128).optional(),
      ...verdictBasis,
    }),
    z.strictObject({
      outcome: z.literal('failed'),
      reason: z.enum(['wms_timeout', 'wms_rejected']),
      ...verdictBasis,
      // The locations the saga allocated at: the reservation moves to another with its units instead of being released.
      tried: z.array(LocationIdSchema).max(64).optional(),
    }),
  ])
  .meta({ id: 'AllocationOutcome' });
export type AllocationOutcome = z.infer<typeof AllocationOutcomeSchema>;

export const GenerationsSchema = z
  .object({
    active: z.string(),
    shadow: z.string().nullable(),
    retiring: z.array(z.object({ generation: z.string(), until: z.int() })),
  })
  .meta({ id: 'Generations' });

export const GenerationIdSchema = z.string().regex(/^g\d{1,9}$/, 'a generation id such as g2');

/** A rebuild's views for a shadow generation, each SKU's fold of a prefix of its log. */
export const ProjectionBatchSchema = z
  .strictObject({
    generation: GenerationIdSchema,
    views: z.array(SkuCountersSchema.extend({ sku: StreamIdSchema })).min(1).max(500),
  })
  .meta({ id: 'ProjectionBatch' });
export type ProjectionBatch = z.infer<typeof ProjectionBatchSchema>;

/**
 * What one SKU object did with its view. `written`: the generation holds it (or a newer one);
 * `stale`: it already held that version or a newer one; `deferred`: asked again later (the object
 * wrote its keys within the last second, or has not heard of the shadow yet); `failed`: the
 * object refused it or could not be reached, with the error `code` (`overloaded` and `internal`
 * are worth retrying; `sku_not_found` and `invalid_command` are not).
 */
export const ProjectionOutcomeSchema = z
  .discriminatedUnion('result', [
    z.object({ sku: z.string(), result: z.enum(['written', 'stale', 'deferred']) }),
    z.object({ sku: z.string(), result: z.literal('failed'), code: z.string(), message: z.string() }),
  ])
  .meta({ id: 'ProjectionOutcome' });
export type ProjectionOutcome = z.infer<typeof ProjectionOutcomeSchema>;

/** Per SKU, in the order of the batch's views (one SKU failing fails only itself), and the counts. */
export const ProjectionBatchResultSchema = z
  .object({ written: z.int(), stale: z.int(), deferred: z.int(), failed: z.int(), outcomes: z.array(ProjectionOutcomeSchema) })
  .meta({ id: 'ProjectionBatchResult' });
export type ProjectionBatchResult = z.infer<typeof ProjectionBatchResultSchema>;

/** How long a shadow stays leased to its rebuild without a renewal; past it the registry retires it. */
const LeaseSecondsSchema = z.int().min(10).max(3_600).default(120);

// `status`: the rebuild's progress, kept by the registry so that any replica can show it (ADR 0006).
export const ShadowBodySchema = z.strictObject({ rebuild: RebuildIdSchema, leaseSeconds: LeaseSecondsSchema, status: RebuildReportSchema.optional() });
export const RenewShadowBodySchema = z.strictObject({ generation: GenerationIdSchema, leaseSeconds: LeaseSecondsSchema, status: RebuildReportSchema.optional() });
/** `status`: the failed rebuild's last status, kept as it finished. */
export const AbandonShadowBodySchema = z.strictObject({ generation: GenerationIdSchema, status: RebuildReportSchema.optional() });
/** `generation`: switch only if it is still the shadow (a rebuild names its own); `status`: kept as the rebuild's result. */
export const SwitchBodySchema = z.strictObject({
  graceSeconds: z.int().min(0).max(86_400).default(60),
  generation: GenerationIdSchema.optional(),
  status: RebuildReportSchema.optional(),
});

/** A new shadow, and the shadow of another rebuild that it retired (null if there was none). */
export const ShadowCreatedSchema = GenerationsSchema.extend({ superseded: z.string().nullable() }).meta({ id: 'ShadowCreated' });
/** `abandoned`: false when the generation was no longer the shadow (nothing was changed). */
export const ShadowAbandonedSchema = GenerationsSchema.extend({ abandoned: z.boolean() }).meta({ id: 'ShadowAbandoned' });

export const ErrorSchema = z
  .object({
    error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }),
  })
  .meta({ id: 'Error' });

/** The regional drill's fault switch (local and test only; ADR 0022): shards living in these regions become unreachable. */
export const RegionFaultBodySchema = z.strictObject({
  regionsDown: z.array(ShardRegionSchema).max(8),
  mode: z.enum(['unreachable', 'hang']).default('unreachable'),
});
export const RegionFaultSchema = z.object({
  sku: z.string(),
  shards: z.array(z.object({ shard: z.int(), region: ShardRegionSchema.nullable(), mode: z.enum(['none', 'unreachable', 'hang']) })),
});
