import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { dashboardPage } from '../dashboard/page';
import type { EventLog } from '../eventLog/port';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { adminRoutes, type AdminDeps } from './admin';
import { healthRoute, instrument, type BridgeEnv, type ComponentState } from './common';
import { bridgeErrorResponse } from './errors';

/** The admin API takes ids, offsets and a rebuild's settings: a few hundred bytes, never megabytes. */
export const MAX_ADMIN_BODY_BYTES = 64 * 1024;

export type OperatorAppDeps = {
  log: EventLog;
  metrics: Metrics;
  logger: Logger;
  components?: () => Record<string, ComponentState>;
  admin: Omit<AdminDeps, 'log' | 'logger' | 'metrics'>;
};

/**
 * The admin listener's app (loopback by default, ADR 0003): the CLI's `/admin` API behind the
 * bridge's own admin keys, the dashboard, the Prometheus scrape and `/healthz`.
 */
export function createOperatorApp({ log, metrics, logger, components = () => ({}), admin }: OperatorAppDeps) {
  const app = new Hono<BridgeEnv>();
  instrument(app, metrics, logger);
  healthRoute(app, log, components);
  app.get('/metrics', async (c) => c.text(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }));
  app.use(
    '/admin/*',
    bodyLimit({
      maxSize: MAX_ADMIN_BODY_BYTES,
      onError: (c) => bridgeErrorResponse(c, { code: 'invalid_request', message: `body exceeds ${MAX_ADMIN_BODY_BYTES} bytes` }),
    }),
  );
  app.route('/admin', adminRoutes({ log, logger, metrics, ...admin }));
  app.route('/dashboard', dashboardPage());
  return app;
}
