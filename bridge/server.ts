import { parseSecrets } from '../src/contract/signature';
import type { BridgeConfig } from './config';
import { startWithRetry, untilDone, type Background } from './background';
import type { RunningSagas } from './saga';
import { createEdgeClient } from './edge/client';
import { createEventLog } from './eventLog';
import { TopicSettingsError } from './eventLog/errors';
import type { EventLog, Subscription } from './eventLog/port';
import { DLQ_TOPIC, EVENTS_TOPIC, FEED_CONTROL_TOPIC, TOPICS } from './eventLog/topics';
import { SAGA_GROUP } from './saga/runner';
import type { Reachability } from './http/admin';
import { createOperatorApp } from './http/adminApp';
import { createBridgeApp, type ComponentState } from './http/app';
import { startListeners } from './http/listeners';
import type { Logger } from './logger';
import { createMetrics, hoardingRow, type Metrics } from './metrics';
import { startOrdersView } from './orders/ordersView';
import { startSnapshotter } from './projections/snapshotter';
import { ARCHIVER_GROUP, startArchiver, type Archiver } from './archive/archiver';
import { objectStoreFromEnv } from './archive/storeConfig';
import { FEED_GROUP, startFeed, type RunningFeed } from './feed/follower';
import { warehouseClients } from './feed/warehouseClients';
import { straySweeps } from './sap/sweep';
import { warehousesOf } from './warehouses';

/** `url`: the public listener (the objects' pushes); `adminUrl`: the operators' (ADR 0003). */
export type RunningBridge = { url: string; adminUrl: string; log: EventLog; metrics: Metrics; close(): Promise<void> };

/** Starts the bridge: the event log with its topics, the sagas, then the HTTP server. */
export async function startBridge(config: BridgeConfig, logger: Logger): Promise<RunningBridge> {
  const log = createEventLog(config, logger);
  // Topics that do not fit (TopicSettingsError) are no passing fault: refused at once, not retried.
  await untilDone('creating the topics', () => log.ensureTopics(TOPICS), logger, (error) => error instanceof TopicSettingsError);
  const metrics = createMetrics();
  const secrets = parseSecrets(config.INTERNAL_SECRET);
  const edge = createEdgeClient(config.EDGE_URL, config.INTERNAL_SECRET);
  // The group members start once listening, when the address the others reach this one at is known.
  let sagas: Background<RunningSagas> | null = null;
  let endpoint: string | null = null;
  let snapshotter: Background<Subscription> | null = null;
  let feed: Background<RunningFeed> | null = null;
  let archiver: Background<Archiver> | null = null;
  const store = config.ARCHIVE === 'on' ? objectStoreFromEnv(config) : null;
  const warehouses = warehousesOf(config);
  const clients = warehouseClients(warehouses);
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
  metrics.sources.archive = () => archiver?.current()?.status() ?? null;
  metrics.sources.deadLetters = async () => [...(await log.endOffsets(DLQ_TOPIC)).values()].reduce((n, offset) => n + Number(offset), 0);
  metrics.sources.hoarding = async () => {
    const active = metrics.activity.active();
    return active.length === 0 ? [] : (await edge.stats(active)).skus.map(hoardingRow);
  };
  const state = (component: { current(): unknown } | null): ComponentState => (!component ? 'off' : component.current() ? 'running' : 'starting');
  const components = () => ({ sagas: state(sagas), snapshotter: state(snapshotter), orders: state(orders), feed: state(feed), archiver: state(archiver) });
  const app = createBridgeApp({ log, secrets, metrics, logger, components });
  const admin = createOperatorApp({
    log,
    metrics,
    logger,
    components,
    admin: {
      edge,
      adminKeys: config.BRIDGE_ADMIN_KEYS,
      sagas: () => sagas?.current() ?? null,
      sagaGroup: { members: () => log.groupMembers(SAGA_GROUP, EVENTS_TOPIC), self: () => endpoint },
      orders: () => orders?.current() ?? null,
      wmsHealth: () => wmsReachable(config.WMS_URL),
      warehouses: {
        warehouses,
        clients,
        feed: () => feed?.current() ?? null,
        feedOn: config.FEED === 'on',
        members: () => log.groupMembers(FEED_GROUP, FEED_CONTROL_TOPIC),
        self: () => endpoint,
      },
      ...(store ? { archive: { store, archiver: () => archiver?.current() ?? null, members: () => log.groupMembers(ARCHIVER_GROUP, EVENTS_TOPIC), self: () => endpoint } } : {}),
    },
  });
  const listeners = await startListeners(config, { public: app.fetch, admin: admin.fetch });
  const url = listeners.public.url;
  // The group's members reach each other's admin listener (saga lookups go to their owner).
  const advertised = config.BRIDGE_ADVERTISED_URL ?? listeners.admin.url;
  endpoint = advertised;
  snapshotter =
    config.SNAPSHOTS === 'on'
      ? startWithRetry(
          'snapshotter',
          () => startSnapshotter({ log, edge, logger: logger.child({ component: 'snapshotter' }), everyEvents: config.SNAPSHOT_EVERY_EVENTS, everyMs: 5_000, endpoint: advertised }),
          (subscription) => subscription.stop(),
          logger,
        )
      : null;
  if (store) {
    archiver = startWithRetry(
      'archiver',
      // The bucket is asked here, retried in the background: a bucket away must not keep the bridge from taking pushes.
      async () => {
        await store.ensureBucket();
        return startArchiver({
          log,
          edge,
          store,
          logger: logger.child({ component: 'archiver' }),
          endpoint: advertised,
          flushEvents: config.ARCHIVE_FLUSH_EVENTS,
          flushMs: config.ARCHIVE_FLUSH_MS,
          snapshotEveryMs: config.ARCHIVE_SNAPSHOT_EVERY_MS,
        });
      },
      (running) => running.stop(),
      logger,
    );
  }
  if (config.SAGA === 'on') {
    // Loaded only when on: the WMS client's SOAP and XML stack is ~5 MiB of heap a bridge without sagas never uses.
    sagas = startWithRetry('sagas', async () => (await import('./saga')).startSagas(config, log, edge, metrics, logger, advertised), (running) => running.runner.stop(), logger);
  }
  if (config.FEED === 'on') {
    feed = startWithRetry(
      'feed',
      () =>
        startFeed({
          log,
          warehouses,
          edge,
          clients,
          metrics,
          logger: logger.child({ component: 'feed' }),
          endpoint: advertised,
          pollMs: config.FEED_POLL_MS,
          pageSize: config.FEED_PAGE_SIZE,
          callTimeoutMs: config.WMS_CALL_TIMEOUT_MS,
          // Each SAP warehouse swept by its follower only (state-has-an-owner), so a takeover moves the sweep too.
          ownedWork: config.SAP_SWEEP_MS > 0 ? straySweeps({ clients, everyMs: config.SAP_SWEEP_MS, callTimeoutMs: config.WMS_CALL_TIMEOUT_MS, logger: logger.child({ component: 'sap-sweep' }) }) : undefined,
        }),
      (running) => running.stop(),
      logger,
    );
  } else if (config.SAP_SWEEP_MS > 0 && warehouses.some((w) => w.kind === 'odata')) {
    logger.warn('FEED=off: no SAP warehouse is swept for stray reservation documents (the sweep runs on the feed\'s owner of each); run reconcile against it after trouble');
  }
  logger.info({ url, adminUrl: listeners.admin.url, log: (await log.health()).detail, saga: config.SAGA, feed: config.FEED, warehouses: warehouses.map((w) => w.id) }, 'bridge listening');
  return {
    url,
    adminUrl: listeners.admin.url,
    log,
    metrics,
    close: async () => {
      // Stop taking pushes first; the objects retry whatever was not acknowledged.
      await listeners.public.close();
      await listeners.admin.close();
      await sagas?.stop();
      await feed?.stop();
      await snapshotter?.stop();
      await archiver?.stop();
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
