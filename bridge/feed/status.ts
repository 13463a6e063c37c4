import { z } from 'zod';
import { FeedCursorSchema } from './cursor';

/**
 * What the feed says about itself: the replica following a warehouse (`following`, live), and
 * the group's view the admin API and `inventory warehouses` show (`WarehouseRow`). One schema per
 * shape, read by the route, the replicas asking each other and the CLI.
 */

/**
 * - `following`: reading or applying movements;
 * - `caught_up`: nothing new at the warehouse, polling;
 * - `backing_off`: the warehouse (timeout, fault, 5xx), the edge (unreachable, 5xx) or the log
 *   failed; retried with a growing pause;
 * - `stalled`: the edge refuses a movement (4xx) or the warehouse answered out of order; retried
 *   slowly, never skipped: an operator must look;
 * - `stopped`: the partition is suspended or gone.
 */
export const FEED_STATES = ['following', 'caught_up', 'backing_off', 'stalled', 'stopped'] as const;
export type FeedState = (typeof FEED_STATES)[number];
export const FEED_STEPS = ['warehouse', 'edge', 'log'] as const;
export type FeedStep = (typeof FEED_STEPS)[number];

export const FeedErrorSchema = z.object({ step: z.enum(FEED_STEPS), message: z.string(), at: z.number(), attempts: z.int() });
export type FeedError = z.infer<typeof FeedErrorSchema>;

export const FollowingSchema = z.object({
  warehouse: z.string(),
  partition: z.int(),
  state: z.enum(FEED_STATES),
  /** In memory: ahead of the committed one by at most a page. */
  cursor: FeedCursorSchema,
  committed: z.int(),
  /** The warehouse's latest sequence as last seen; null before the first answer. */
  latest: z.int().nullable(),
  /** The current streak of failures; null once a step succeeds again. */
  lastError: FeedErrorSchema.nullable(),
  handled: z.object({ applied: z.int(), duplicate: z.int(), shipment: z.int() }),
});
export type Following = z.infer<typeof FollowingSchema>;

/** One replica's answer to `GET /admin/warehouses?scope=local`. */
export const LocalFeedSchema = z.object({ endpoint: z.string().nullable(), following: z.array(FollowingSchema) });

export const WarehouseRowSchema = z.object({
  id: z.string(),
  kind: z.string(),
  url: z.string(),
  locations: z.array(z.string()).nullable(),
  priority: z.int().nullable(),
  region: z.string().nullable(),
  /** A ListMovements probe from the replica asked. */
  health: z.object({ ok: z.boolean(), detail: z.string(), ms: z.number() }),
  latest: z.int().nullable(),
  /** As committed in the feed's state topic (null: never committed). */
  cursor: FeedCursorSchema.nullable(),
  /** latest - the follower's cursor (its live one when it answered); null when the warehouse did not answer. */
  lag: z.int().nullable(),
  follower: z.object({
    partition: z.int(),
    /** The replica that owns the partition, as it advertises itself; null while the group rebalances. */
    endpoint: z.string().nullable(),
    /** What that replica said of its feed; null when it could not be asked. */
    live: FollowingSchema.nullable(),
  }),
});
export type WarehouseRow = z.infer<typeof WarehouseRowSchema>;
export const WarehousesReportSchema = z.object({ feed: z.enum(['on', 'off']), asked: z.string().nullable(), warehouses: z.array(WarehouseRowSchema) });
export type WarehousesReport = z.infer<typeof WarehousesReportSchema>;
