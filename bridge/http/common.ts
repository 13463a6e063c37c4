import type { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import type { EventLog } from '../eventLog/port';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { bridgeErrorResponse } from './errors';

export type ComponentState = 'running' | 'starting' | 'off';
export type BridgeEnv = { Variables: { requestId: string; logger: Logger } };

/** What both listeners do to every request: an id, one log line, a count by route, JSON errors. */
export function instrument(app: Hono<BridgeEnv>, metrics: Metrics, logger: Logger): void {
  app.use(requestId());
  app.use(async (c, next) => {
    const started = performance.now();
    const requestLogger = logger.child({ requestId: c.get('requestId') });
    c.set('logger', requestLogger);
    await next();
    const ms = Math.round((performance.now() - started) * 10) / 10;
    // Probes and scrapes arrive every few seconds; only their failures are worth a line at info.
    const quiet = (c.req.path === '/healthz' || c.req.path === '/metrics') && c.res.ok;
    requestLogger[quiet ? 'debug' : 'info']({ method: c.req.method, path: c.req.path, status: c.res.status, ms }, 'request');
    // The route's pattern, never the path: the label set stays the routes' (invariant bounded-by-live-work).
    metrics.httpResponses.inc({ route: c.req.routePath, status: String(c.res.status) });
  });

  // One JSON answer and one log line per failure, never a bare 500 or a stack on stderr.
  app.onError((error, c) => {
    const requestId = c.get('requestId') ?? 'unknown';
    (c.get('logger') ?? logger).error({ err: error, method: c.req.method, path: c.req.path }, 'request failed');
    return bridgeErrorResponse(c, { code: 'internal', requestId });
  });
  app.notFound((c) => bridgeErrorResponse(c, { code: 'not_found' }));
}

/** `GET /healthz`, unauthenticated on both listeners: a probe needs no key, and learns nothing secret. */
export function healthRoute(app: Hono<BridgeEnv>, log: EventLog, components: () => Record<string, ComponentState>): void {
  app.get('/healthz', async (c) => {
    const health = await log.health();
    // Ready for pushes as soon as the log is; components still starting are shown, not fatal.
    return c.json({ status: health.ok ? 'ok' : 'unavailable', log: health, components: components() }, health.ok ? 200 : 503);
  });
}
