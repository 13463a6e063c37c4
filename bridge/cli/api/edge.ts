import type { z } from 'zod';
import { EventPageSchema, RelayStatusSchema, ReservationSchema } from '../../../src/api/schemas';
import type { SkuEvent } from '../../../src/domain/sku';
import { call, exchange, type Service } from '../http';

/** The largest page the edge serves. */
const PAGE = 1000;

const path = (sku: string, rest = '') => `/v1/admin/skus/${encodeURIComponent(sku)}${rest}`;

/** The Worker's admin routes the CLI uses (`--edge-url`), with the shapes the Worker itself validates with. */
export function edgeApi(service: Service) {
  return {
    health: () => exchange(service, 'GET', '/healthz'),

    /** The SKU's log after `after`, every page, or its first `limit` events. */
    async events(sku: string, after: number, limit = Number.POSITIVE_INFINITY): Promise<SkuEvent[]> {
      const events: SkuEvent[] = [];
      for (let cursor: number | null = after; cursor !== null && events.length < limit; ) {
        const page: z.infer<typeof EventPageSchema> = await call(service, 'GET', path(sku, `/events?after=${cursor}&limit=${Math.min(PAGE, limit - events.length)}`), EventPageSchema);
        events.push(...page.events);
        // An empty page ends it too, whatever it says: a log that stops moving must not loop forever.
        cursor = page.events.length > 0 ? page.nextAfter : null;
      }
      return events;
    },

    relay: (sku: string) => call(service, 'GET', path(sku, '/relay'), RelayStatusSchema),

    release: (sku: string, reservationId: string) =>
      call(service, 'POST', path(sku, `/reservations/${encodeURIComponent(reservationId)}/release`), ReservationSchema, {}),
  };
}
export type EdgeApi = ReturnType<typeof edgeApi>;
