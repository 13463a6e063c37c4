import { z } from 'zod';
import { VectorClockSchema } from '../core/vectorClock';
import { CustomerIdSchema, LocationIdSchema, SkuIdSchema } from '../sku';
import { CartLineSchema } from './cart';

export const CheckoutIdSchema = z.string().regex(/^chk_[0-9a-f]{32}$/, 'a checkout id');

const event = <T extends string, D extends z.ZodType>(type: T, data: D) => z.object({ type: z.literal(type), data });
/** The SKU event a step produced, when it produced one: the cause a joined view must have applied first. */
const skuVersion = z.int().min(1);
/** The shard of a sharded SKU the line's reservation lives on (absent: the SKU's own stream). */
const shard = z.int().min(1).max(63).optional();

/** What the coordinator records, step by step (its log is the saga's memory). */
export const CheckoutEventSchema = z.discriminatedUnion('type', [
  event('CheckoutStarted', z.object({
    checkoutId: CheckoutIdSchema,
    customerId: CustomerIdSchema,
    lines: z.array(CartLineSchema).min(1),
    ttlSeconds: z.int().min(1),
    // The buyer asked no hold time (ttlSeconds is the edge's default): each SKU's sale policy may set its own (issue 26).
    ttlDefaulted: z.literal(true).optional(),
    requestHash: z.string(),
  })),
  // location: where the SKU object sourced the units (absent: a SKU that names none, or a record from before locations).
  event('LineReserved', z.object({ sku: SkuIdSchema, reservationId: z.string().min(1), skuVersion, shard, location: LocationIdSchema.optional() })),
  event('LineRefused', z.object({ sku: SkuIdSchema, code: z.string(), details: z.record(z.string(), z.unknown()) })),
  // null: unknown (a step that produced no SKU event; v1 of these, upcast in upcast.ts, had none).
  event('LineReleased', z.object({ sku: SkuIdSchema, skuVersion: skuVersion.nullable(), shard })),
  event('LineCompleted', z.object({ sku: SkuIdSchema, skuVersion: skuVersion.nullable(), shard })),
  event('CompletionRequested', z.object({})),
  // The buyer retried a checkout that failed because a step was shed (issue 26): every line is
  // reserved again, under this attempt's idempotency scopes (the earlier attempt's holds were released).
  event('CheckoutRetried', z.object({ attempt: z.int().min(1) })),
  event('CancellationRequested', z.object({})),
]);
export type CheckoutEvent = z.infer<typeof CheckoutEventSchema>;

/**
 * A checkout event as relayed to `inventory.checkouts`: the same envelope as SKU events, so a
 * consumer joining both streams orders them by (stream, version) and `causedBy` alone.
 */
export const CheckoutRecordSchema = z.intersection(
  CheckoutEventSchema,
  z.object({ checkoutId: CheckoutIdSchema, version: z.int().min(1), at: z.iso.datetime(), causedBy: VectorClockSchema }),
);
export type CheckoutRecord = z.infer<typeof CheckoutRecordSchema>;
