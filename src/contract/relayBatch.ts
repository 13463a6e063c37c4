import { z } from 'zod';
import { CheckoutIdSchema } from '../domain/checkout/events';
import { upcastCheckoutRecord } from '../domain/checkout/upcast';
import type { Result } from '../domain/core/result';
import type { UpcastError } from '../domain/core/schemaVersion';
import { StreamIdSchema, upcastSkuEvent } from '../domain/sku';

/** Where a SKU object pushes its outbox on the bridge. */
export const INGEST_PATH = '/ingest';
/** Where a checkout coordinator pushes its log. */
export const CHECKOUT_INGEST_PATH = '/ingest/checkouts';
/** Events per push: large enough to catch up quickly after an outage, far below any body limit. */
export const MAX_RELAY_BATCH = 500;

/**
 * A batch holds one stream's events, in order, without a hole. The bridge refuses anything
 * else, so a routing or ordering bug surfaces instead of reaching Kafka.
 */
function contiguous<K extends string>(key: K, eventKey: (event: never) => string) {
  return (batch: Record<K, string> & { events: { version: number }[] }, ctx: z.RefinementCtx) => {
    batch.events.forEach((event, i) => {
      const owner = eventKey(event as never);
      if (owner !== batch[key]) ctx.addIssue({ code: 'custom', path: ['events', i, key], message: `event of ${owner} in a batch of ${batch[key]}` });
      const previous = batch.events[i - 1];
      if (previous && event.version !== previous.version + 1) {
        ctx.addIssue({ code: 'custom', path: ['events', i, 'version'], message: `version ${event.version} does not follow ${previous.version}` });
      }
    });
  };
}

/**
 * A pushed event, of any version this bridge knows, in today's shape (the log takes it stamped
 * with today's version). A newer version is refused: it stays in its object's outbox until the
 * bridge is upgraded (ADR 0012).
 */
const relayed = <E>(upcast: (raw: unknown) => Result<{ event: E }, UpcastError>) =>
  z.unknown().transform((raw, ctx) => {
    const read = upcast(raw);
    if (read.ok) return read.value.event;
    ctx.addIssue({ code: 'custom', message: read.error.message });
    return z.NEVER;
  });

/** One push of a SKU object's outbox. */
export const RelayBatchSchema = z
  .strictObject({ sku: StreamIdSchema, events: z.array(relayed(upcastSkuEvent)).min(1).max(MAX_RELAY_BATCH) })
  .superRefine(contiguous('sku', (e: { sku: string }) => e.sku));
export type RelayBatch = z.infer<typeof RelayBatchSchema>;

/** One push of a checkout coordinator's log. */
export const CheckoutRelayBatchSchema = z
  .strictObject({ checkoutId: CheckoutIdSchema, events: z.array(relayed(upcastCheckoutRecord)).min(1).max(MAX_RELAY_BATCH) })
  .superRefine(contiguous('checkoutId', (e: { checkoutId: string }) => e.checkoutId));
export type CheckoutRelayBatch = z.infer<typeof CheckoutRelayBatchSchema>;

/** The bridge answers only once the log acknowledged the batch: the object may then drop its outbox rows. */
export const RelayAckSchema = z.object({ sku: StreamIdSchema, acked: z.int().min(1) });
export const CheckoutRelayAckSchema = z.object({ checkoutId: CheckoutIdSchema, acked: z.int().min(1) });
