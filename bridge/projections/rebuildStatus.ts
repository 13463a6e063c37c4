import { z } from 'zod';

/** Where a rebuild of the read models starts: each SKU's newest snapshot and the events after it, or the whole log. */
export const REBUILD_SOURCES = ['snapshots', 'beginning'] as const;
export type RebuildSource = (typeof REBUILD_SOURCES)[number];

/** A rebuild of the read models into a shadow generation, switched to once it caught up (times in epoch ms). */
export const RebuildStatusSchema = z.object({
  id: z.string(),
  from: z.enum(REBUILD_SOURCES),
  state: z.enum(['running', 'switched', 'failed']),
  phase: z.enum(['replaying', 'syncing', 'switching', 'done']),
  /** The shadow generation being built. */
  generation: z.string(),
  /** The generation that was active when it started. */
  previous: z.string(),
  /** Events read from the log. */
  read: z.int(),
  /** Events applied. */
  replayed: z.int(),
  /** Events to read, from the log's offsets at the start. */
  total: z.int(),
  /** SKUs loaded from snapshots. */
  snapshotSkus: z.int(),
  eventsPerSecond: z.number(),
  etaSeconds: z.number().nullable(),
  startedAt: z.number(),
  finishedAt: z.number().nullable(),
  error: z.string().nullable(),
  /** A shadow of another rebuild (left by a crashed bridge) that this one retired when it started. */
  superseded: z.string().nullable().default(null),
  /**
   * SKUs whose view the edge could not write to the shadow on their last attempt (the first 100),
   * with the edge's error code; retried alone with backoff. A rebuild that still has some after
   * the retries fails and names them.
   */
  failedSkus: z.array(z.object({ sku: z.string(), code: z.string(), message: z.string(), attempts: z.int() })).default([]),
  /** How many SKUs that is in all. */
  failedSkuCount: z.int().default(0),
});
export type RebuildStatus = z.infer<typeof RebuildStatusSchema>;

/** What `POST /admin/projections/rebuild` takes. */
export const RebuildRequestSchema = z.strictObject({
  from: z.enum(REBUILD_SOURCES).default('snapshots'),
  graceSeconds: z.int().min(0).max(86_400).default(60),
});
export type RebuildRequest = z.input<typeof RebuildRequestSchema>;

/** How far the snapshots lag the log: the events a rebuild from them would still replay. */
export const SnapshotLagSchema = z.object({ skus: z.int(), lagEvents: z.int() });
export type SnapshotLag = z.infer<typeof SnapshotLagSchema>;
