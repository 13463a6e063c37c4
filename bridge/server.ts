import { serve, type ServerType } from '@hono/node-server';
import { parseSecrets } from '../src/contract/signature';
import type { BridgeConfig } from './config';
import { startWithRetry, untilDone } from './background';
import { createEdgeClient } from './edge/client';
import { createEventLog } from './eventLog';
import { TopicSettingsError } from './eventLog/errors';
import type { EventLog } from './eventLog/port';
import { DLQ_TOPIC, TOPICS } from './eventLog/topics';
import { dashboardPage } from './dashboard/page';
import { adminRoutes, type Reachability } from './http/admin';
import { createBridgeApp, type ComponentState } from './http/app';
import type { Logger } from './logger';
import { createMetrics, type Metrics } from './metrics';
import { startOrdersView } from './orders/ordersView';
import { startSnapshotter } from './projections/snapshotter';

export type RunningBridge = { url: string; log: EventLog; metrics: Metrics; close(): Promise<void> };

/** Starts the bridge: the event log with its topics, the sagas, then the HTTP server. */
export async function startBridge(config: BridgeConfig, logger: Logger): Promise<RunningBridge> {
  const log = createEventLog(config, logger);
  // Topics that do not fit (TopicSettingsError) are no passing fault: refused at once, not retried.
  await untilDone('creating the topics', () => log.ensureTopics(TOPICS), logger, (error) => error instanceof TopicSettingsError);
  const metrics = createMetrics();
  const secrets = parseSecrets(config.INTERNAL_SECRET);
  const edge = createEdgeClient(config.EDGE_URL, config.INTERNAL_SECRET);
  // Loaded only when on: the WMS client's SOAP and XML stack is ~5 MiB of heap a bridge without sagas never uses.
  const sagas =
    config.SAGA === 'on'
      ? startWithRetry('sagas', async () => (await import('./saga')).startSagas(config, log, edge, metrics, logger), (running) => running.runner.stop(), logger)
      : null;
  const snapshotter =
    config.SNAPSHOTS === 'on'
      ? startWithRetry(
          'snapshotter',
          () => startSnapshotter({ log, edge, logger: logger.child({ component: 'snapshotter' }), everyEvents: config.SNAPSHOT_EVERY_EVENTS, everyMs: 5_000 }),
          (subscription) => subscription.stop(),
          logger,
        )
      : null;
  const orders =
    config.ORDERS === 'on'
      ? startWithRetry(
          'orders',
          () => startOrdersView({ log, edge, metrics, logger: logger.child({ component: 'orders' }), holdAlertSeconds: config.CAUSAL_HOLD_ALERT_SECONDS, retentionSeconds: config.ORDER_VIEW_RETENTION_SECONDS }),
          (view) => view.stop(),
          logger,
        )
      : null;
  metrics.sources.sagas = () => sagas?.current()?.store.countByPhase() ?? null;
  metrics.sources.deadLetters = async () => [...(await log.endOffsets(DLQ_TOPIC)).values()].reduce((n, offset) => n + Number(offset), 0);
  const state = (component: { current(): unknown } | null): ComponentState => (!component ? 'off' : component.current() ? 'running' : 'starting');
  const app = createBridgeApp({ log, secrets, metrics, logger, components: () => ({ sagas: state(sagas), snapshotter: state(snapshotter), orders: state(orders) }) });
  app.route(
    '/admin',
    adminRoutes({ log, edge, logger, adminKeys: config.ADMIN_KEYS, metrics, sagas: () => sagas?.current() ?? null, orders: () => orders?.current() ?? null, wmsHealth: () => wmsReachable(config.WMS_URL) }),
  );
  app.route('/dashboard', dashboardPage());
  const server = await listen(app.fetch, config.BRIDGE_HOST, config.BRIDGE_PORT);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.BRIDGE_PORT;
  const url = `http://${config.BRIDGE_HOST}:${port}`;
  logger.info({ url, log: (await log.health()).detail, saga: config.SAGA }, 'bridge listening');
  return {
    url,
    log,
    metrics,
    close: async () => {
      // Stop taking pushes first; the objects retry whatever was not acknowledged.
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sagas?.stop();
      await snapshotter?.stop();
      await orders?.stop();
      await log.close();
    },
  };
}

/** The WSDL is what every SOAP service serves, the simulator or the real warehouse. */
async function wmsReachable(url: string): Promise<Reachability> {
  try {
    const response = await fetch(`${url}?wsdl`, { signal: AbortSignal.timeout(2_000) });
    await response.body?.cancel();
    return { ok: response.ok, detail: response.ok ? 'WSDL served' : `HTTP ${response.status}` };
  } catch (error) {
    return { ok: false, detail: error instanceof Error ? error.message : String(error) };
  }
}

function listen(fetch: (request: Request) => Response | Promise<Response>, hostname: string, port: number): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname, port }, () => resolve(server));
    server.once('error', reject);
  });
}
