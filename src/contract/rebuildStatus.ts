import { z } from 'zod';

/** Where a rebuild of the read models starts: each SKU's newest snapshot and the events after it, or the whole log. */
export const REBUILD_SOURCES = ['snapshots', 'beginning', 'archive'] as const;
export type RebuildSource = (typeof REBUILD_SOURCES)[number];

/** A rebuild's id: who owns the shadow generation it builds. */
export const RebuildIdSchema = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'a rebuild id (letters, digits, dashes)');

const FailedSkuSchema = z.object({ sku: z.string(), code: z.string(), message: z.string(), attempts: z.int() });

/**
 * A rebuild of the read models into a shadow generation, switched to once it caught up (times in
 * epoch ms). The bridge running it keeps it, and reports it to the generations registry with each
 * lease renewal; the registry keeps the running one and the last few finished (ADR 0006).
 */
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
     * SKUs whose view the edge could not write to the shadow on their last attempt (the first 100;
     * the registry keeps the first 10), with the edge's error code; retried alone with backoff. A
     * rebuild that still has some after the retries fails and names them.
     */
    failedSkus: z.array(FailedSkuSchema).default([]),
    /** How many SKUs that is in all. */
    failedSkuCount: z.int().default(0),
    /** The admin endpoint of the bridge replica running it (its advertised URL). */
    endpoint: z.string().nullable().default(null),
    /** Set by the registry: until when the rebuild holds its shadow without renewing (while running). */
    leaseUntil: z.number().nullable().default(null),
    /** Set by the registry: when it last heard from the rebuild (its progress is as of then). */
    reportedAt: z.number().nullable().default(null),
  });
export type RebuildStatus = z.infer<typeof RebuildStatusSchema>;

/** What the registry keeps of a failed rebuild's error and failed SKUs: a report stays a few KB (invariant bounded-by-live-work). */
export const REPORTED_ERROR_CHARS = 2_000;
export const REPORTED_FAILED_SKUS = 10;

/** A rebuild's status as a bridge reports it to the registry (bounded; the registry sets the lease and the time). */
export const RebuildReportSchema = RebuildStatusSchema.omit({ leaseUntil: true, reportedAt: true }).extend({
  id: RebuildIdSchema,
  generation: z.string().max(16),
  previous: z.string().max(16),
  error: z.string().max(REPORTED_ERROR_CHARS).nullable(),
  failedSkus: z.array(FailedSkuSchema.extend({ message: z.string().max(300) })).max(REPORTED_FAILED_SKUS).default([]),
  endpoint: z.string().max(300).nullable().default(null),
});
export type RebuildReport = z.input<typeof RebuildReportSchema>;

/** The registry's rebuilds: the one running (at most one, ADR 0006) and the last finished, newest first. */
export const RebuildsSchema = z.object({ running: RebuildStatusSchema.nullable(), finished: z.array(RebuildStatusSchema) });
export type Rebuilds = z.infer<typeof RebuildsSchema>;

/** A status trimmed to what the registry keeps. */
export function reportOf(status: RebuildStatus): RebuildReport {
  const { leaseUntil: _lease, reportedAt: _reported, ...report } = status;
  return {
    ...report,
    error: status.error === null ? null : status.error.slice(0, REPORTED_ERROR_CHARS),
    failedSkus: status.failedSkus.slice(0, REPORTED_FAILED_SKUS).map((f) => ({ ...f, message: f.message.slice(0, 300) })),
  };
}
