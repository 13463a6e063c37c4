import { z } from 'zod';
import { EventPageSchema, RelayStatusSchema, ReservationSchema, ShardsViewSchema, SkuViewSchema } from '../../../src/contract/schemas';
import { shardOf, skuOf, type SkuEvent } from '../../../src/domain/sku';
import { anonymous, call, exchange, type Service } from '../http';

/** The largest page the edge serves. */
const PAGE = 1000;

const path = (sku: string, rest = '') => `/v1/admin/skus/${encodeURIComponent(sku)}${rest}`;
/** A stream's admin route: its SKU's, with the shard named for a shard's stream (`SKU~k`). */
const streamPath = (stream: string, rest: string, query = '') => path(skuOf(stream), `${rest}?shard=${shardOf(stream)}${query}`);

/**
 * The SKU's view with each location's feed (`fed`, issue 22's contract; absent from a Worker
 * without the feed, read as null). TODO(integration): SkuViewSchema itself once it carries `fed`.
 */
const FedSkuViewSchema = SkuViewSchema.extend({
  locations: z
    .array(SkuViewSchema.shape.locations.unwrap().element.extend({ fed: z.object({ warehouse: z.string(), sequence: z.int() }).nullable().default(null) }))
    .optional(),
});
export type FedSkuView = z.infer<typeof FedSkuViewSchema>;

/** An adjustment's body (`POST /v1/admin/skus/{sku}/adjustments`): a repair of a location's on-hand. */
export type Adjustment = { location: string; delta: number; reason: string; document?: string };
/** What reconcile reads of the answer (the contract's MovementResult): the location after it. */
const AdjustedSchema = z.object({
  sku: z.string(),
  version: z.int(),
  applied: z.boolean(),
  location: z.object({ location: z.string(), onHand: z.int(), reserved: z.int(), sold: z.int(), available: z.int() }),
});

/** The Worker's admin routes the CLI uses (`--edge-url`), with the shapes the Worker itself validates with. */
export function edgeApi(service: Service) {
  return {
    health: () => exchange(anonymous(service), 'GET', '/healthz'),

    /** A stream's log (the SKU's, or a shard's) after `after`, every page, or its first `limit` events. */
    async events(stream: string, after: number, limit = Number.POSITIVE_INFINITY): Promise<SkuEvent[]> {
      const events: SkuEvent[] = [];
      for (let cursor: number | null = after; cursor !== null && events.length < limit; ) {
        const query = `&after=${cursor}&limit=${Math.min(PAGE, limit - events.length)}`;
        const page: z.infer<typeof EventPageSchema> = await call(service, 'GET', streamPath(stream, '/events', query), EventPageSchema);
        events.push(...page.events);
        // An empty page ends it too, whatever it says: a log that stops moving must not loop forever.
        cursor = page.events.length > 0 ? page.nextAfter : null;
      }
      return events;
    },

    /** Each shard's counters and their sum. */
    shards: (sku: string) => call(service, 'GET', path(sku, '/shards'), ShardsViewSchema),

    /** The SKU's counters from its object (never the read model, which may be a second behind), per location when it names any. */
    view: (sku: string) => call(service, 'GET', `/v1/skus/${encodeURIComponent(sku)}?consistent=true`, FedSkuViewSchema),

    /** One adjustment of a location's on-hand, idempotent by `idempotencyKey`. */
    adjust: (sku: string, adjustment: Adjustment, idempotencyKey: string) =>
      call(service, 'POST', path(sku, '/adjustments'), AdjustedSchema, adjustment, { 'idempotency-key': idempotencyKey }),

    relay: (stream: string) => call(service, 'GET', streamPath(stream, '/relay'), RelayStatusSchema),

    release: (sku: string, reservationId: string) =>
      call(service, 'POST', path(sku, `/reservations/${encodeURIComponent(reservationId)}/release`), ReservationSchema, {}),
  };
}
export type EdgeApi = ReturnType<typeof edgeApi>;
