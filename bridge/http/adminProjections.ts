import { Hono } from 'hono';
import type { EdgeClient } from '../edge/client';
import type { EventLog } from '../eventLog/port';
import type { Logger } from '../logger';
import { startRebuild, type RebuildStatus } from '../projections/rebuild';
import { RebuildRequestSchema } from '../projections/rebuildStatus';
import { snapshotLag } from '../projections/snapshots';
import { bridgeErrorResponse } from './errors';


/** Read-model generations and their rebuild, for `projections status|rebuild` (one rebuild at a time). */
export function projectionRoutes(log: EventLog, edge: EdgeClient, logger: Logger) {
  const app = new Hono();
  let last: RebuildStatus | null = null;

  app.get('/', async (c) => c.json({ generations: await edge.generations(), snapshots: await snapshotLag(log), rebuild: last }));

  app.post('/rebuild', async (c) => {
    const body = RebuildRequestSchema.safeParse(await c.req.json().catch(() => ({})));
    if (!body.success) {
      const issues = body.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
      return bridgeErrorResponse(c, { code: 'invalid_request', message: 'invalid rebuild request', issues });
    }
    if (last?.state === 'running') return bridgeErrorResponse(c, { code: 'rebuild_running' });
    const { status } = startRebuild({ log, edge, logger: logger.child({ component: 'rebuild' }), ...body.data });
    last = status;
    return c.json(status, 202);
  });

  return app;
}
