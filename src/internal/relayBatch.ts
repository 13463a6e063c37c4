import { z } from 'zod';
import { SkuEventSchema, SkuIdSchema } from '../domain/sku';

/** Where a SKU object pushes its outbox on the bridge. */
export const INGEST_PATH = '/ingest';
/** Events per push: large enough to catch up quickly after an outage, far below any body limit. */
export const MAX_RELAY_BATCH = 500;

/**
 * One push of a SKU object's outbox: that SKU's events, in order, without a hole. The bridge
 * refuses anything else, so a routing or ordering bug surfaces instead of reaching Kafka.
 */
export const RelayBatchSchema = z
  .strictObject({ sku: SkuIdSchema, events: z.array(SkuEventSchema).min(1).max(MAX_RELAY_BATCH) })
  .superRefine(({ sku, events }, ctx) => {
    events.forEach((event, i) => {
      if (event.sku !== sku) ctx.addIssue({ code: 'custom', path: ['events', i, 'sku'], message: `event of ${event.sku} in a batch of ${sku}` });
      const previous = events[i - 1];
      if (previous && event.version !== previous.version + 1) {
        ctx.addIssue({ code: 'custom', path: ['events', i, 'version'], message: `version ${event.version} does not follow ${previous.version}` });
      }
    });
  });
export type RelayBatch = z.infer<typeof RelayBatchSchema>;

/** The bridge answers only once the log acknowledged the batch: the object may then drop its outbox rows. */
export const RelayAckSchema = z.object({ sku: SkuIdSchema, acked: z.int().min(1) });
export type RelayAck = z.infer<typeof RelayAckSchema>;
