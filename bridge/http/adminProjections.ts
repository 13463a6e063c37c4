import { Hono } from 'hono';
import type { ObjectStore } from '../archive/objectStore';
import type { EdgeClient } from '../edge/client';
import type { EventLog } from '../eventLog/port';
import type { Logger } from '../logger';
import { RebuildRunningError, startRebuild, type RebuildStatus } from '../projections/rebuild';
import { RebuildRequestSchema, type Rebuilds } from '../projections/rebuildStatus';
import { snapshotLag } from '../projections/snapshots';
import { bridgeErrorResponse } from './errors';

/**
 * What `projections status` shows, the same from every replica: the registry's running rebuild,
 * else its last finished one (ADR 0006). The replica running it holds a fresher copy of that same
 * rebuild than its last report (sent every quarter lease), so it shows its own, unless the
 * registry has already ended it (its lease ran out while this replica was cut off).
 */
export function latestRebuild({ running, finished }: Rebuilds, local: RebuildStatus | null): RebuildStatus | null {
  const latest = running ?? finished[0] ?? null;
  if (!latest || !local || local.id !== latest.id) return latest;
  if (latest.state !== 'running' && local.state === 'running') return latest;
  return { ...local, leaseUntil: latest.leaseUntil, reportedAt: latest.reportedAt };
}

/**
 * Read-model generations and their rebuild, for `projections status|rebuild`. One rebuild at a
 * time for the whole group: the registry refuses a second one, whichever replica it is asked of.
 */
export function projectionRoutes(log: EventLog, edge: EdgeClient, logger: Logger, endpoint: () => string | null = () => null, store: ObjectStore | null = null) {
  const app = new Hono();
  /** The rebuild this replica started last: the registry has the group's. */
  let local: RebuildStatus | null = null;

  app.get('/', async (c) => {
    const [generations, snapshots, rebuilds] = await Promise.all([edge.generations(), snapshotLag(log), edge.rebuilds()]);
    return c.json({ generations, snapshots, rebuild: latestRebuild(rebuilds, local) });
  });

  app.get('/rebuild', async (c) => {
    const rebuilds = await edge.rebuilds();
    return c.json({ rebuild: latestRebuild(rebuilds, local), finished: rebuilds.finished });
  });

  app.post('/rebuild', async (c) => {
    const body = RebuildRequestSchema.safeParse(await c.req.json().catch(() => ({})));
    if (!body.success) {
      const issues = body.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
      return bridgeErrorResponse(c, { code: 'invalid_request', message: 'invalid rebuild request', issues });
    }
    if (body.data.from === 'archive' && !store) {
      return bridgeErrorResponse(c, { code: 'invalid_request', message: 'this bridge has no archive (ARCHIVE=off): rebuild from snapshots or the beginning, or turn the archive on' });
    }
    try {
      const { status } = await startRebuild({ log, edge, logger: logger.child({ component: 'rebuild' }), endpoint: endpoint(), store, ...body.data });
      local = status;
      return c.json(status, 202);
    } catch (error) {
      if (error instanceof RebuildRunningError) return bridgeErrorResponse(c, { code: 'rebuild_running', message: error.message, running: error.running });
      // Creating the shadow is all startRebuild waits for: anything else is the edge not answering it.
      const reason = error instanceof Error ? error.message : String(error);
      logger.warn({ err: error }, 'the edge did not start the rebuild');
      return bridgeErrorResponse(c, { code: 'edge_failed', message: `the edge did not create the rebuild's shadow generation, so nothing started: ${reason}` });
    }
  });

  return app;
}
