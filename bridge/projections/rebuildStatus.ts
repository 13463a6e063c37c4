import { z } from 'zod';
import { REBUILD_SOURCES } from '../../src/contract/rebuildStatus';

/** The status's wire shape is the edge's too (the registry keeps it): one schema, in the contract. */
export { REBUILD_SOURCES, RebuildStatusSchema, RebuildsSchema, type RebuildSource, type RebuildStatus, type Rebuilds } from '../../src/contract/rebuildStatus';

/** What `POST /admin/projections/rebuild` takes. */
export const RebuildRequestSchema = z.strictObject({
  from: z.enum(REBUILD_SOURCES).default('snapshots'),
  graceSeconds: z.int().min(0).max(86_400).default(60),
});
export type RebuildRequest = z.input<typeof RebuildRequestSchema>;

/** How far the snapshots lag the log: the events a rebuild from them would still replay. */
export const SnapshotLagSchema = z.object({ skus: z.int(), lagEvents: z.int() });
export type SnapshotLag = z.infer<typeof SnapshotLagSchema>;
