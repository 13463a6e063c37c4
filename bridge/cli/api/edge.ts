import type { z } from 'zod';
import { MovementResultSchema, type AdjustmentBody } from '../../../src/contract/movements';
import { EventPageSchema, RelayStatusSchema, ReservationSchema, ShardsViewSchema, SkuViewSchema } from '../../../src/contract/schemas';
import { shardOf, skuOf, type SkuEvent } from '../../../src/domain/sku';
import { anonymous, call, exchange, type Service } from '../http';

/** The largest page the edge serves. */
const PAGE = 1000;

const path = (sku: string, rest = '') => `/v1/admin/skus/${encodeURIComponent(sku)}${rest}`;
/** A stream's admin route: its SKU's, with the shard named for a shard's stream (`SKU~k`). */
const streamPath = (stream: string, rest: string, query = '') => path(skuOf(stream), `${rest}?shard=${shardOf(stream)}${query}`);

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
    view: (sku: string) => call(service, 'GET', `/v1/skus/${encodeURIComponent(sku)}?consistent=true`, SkuViewSchema),

    /** One adjustment of a location's on-hand, idempotent by `idempotencyKey`. */
    adjust: (sku: string, adjustment: AdjustmentBody, idempotencyKey: string) =>
      call(service, 'POST', path(sku, '/adjustments'), MovementResultSchema, adjustment, { 'idempotency-key': idempotencyKey }),

    relay: (stream: string) => call(service, 'GET', streamPath(stream, '/relay'), RelayStatusSchema),

    release: (sku: string, reservationId: string) =>
      call(service, 'POST', path(sku, `/reservations/${encodeURIComponent(reservationId)}/release`), ReservationSchema, {}),
  };
}
export type EdgeApi = ReturnType<typeof edgeApi>;
