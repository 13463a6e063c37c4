import { Hono } from 'hono';
import { z } from 'zod';
import type { EdgeClient } from '../edge/client';
import type { EventLog, GroupMember } from '../eventLog/port';
import type { Logger } from '../logger';
import { archiveRoutes, type ArchiveRouteDeps } from './adminArchive';
import { projectionRoutes } from './adminProjections';
import { readPage, scan } from '../eventLog/scan';
import { DLQ_TOPIC, EVENTS_TOPIC } from '../eventLog/topics';
import type { OrdersView } from '../orders/ordersView';
import type { SagaRunner } from '../saga/runner';
import type { SagaStore } from '../saga/store';
import { dashboardData } from '../dashboard/data';
import type { Metrics } from '../metrics';
import { adminKeyCheck } from './adminKey';
import { sagaRoutes } from './adminSagas';
import { warehouseRoutes, type WarehouseRouteDeps } from './adminWarehouses';
import { bridgeErrorResponse } from './errors';

export type Reachability = { ok: boolean; detail: string };

export type AdminDeps = {
  log: EventLog;
  edge: EdgeClient;
  logger: Logger;
  adminKeys: readonly string[];
  metrics: Metrics;
  /** The running sagas; null while they start, or when the bridge runs without them. */
  sagas: () => { store: SagaStore; runner: SagaRunner } | null;
  /** The saga group's members; this replica's advertised endpoint (null until it listens). */
  sagaGroup: { members: () => Promise<GroupMember[]>; self: () => string | null };
  /** The order view; null while it starts, or when the bridge runs without it. */
  orders: () => OrdersView | null;
  /** Whether the WMS answers, for `status`. */
  wmsHealth: () => Promise<Reachability>;
  /** The warehouses and their feed (`inventory warehouses`); without it, that route is not served. */
  warehouses?: Omit<WarehouseRouteDeps, 'log'>;
  /** The archive in object storage (ARCHIVE=on): `inventory archive`, and rebuilds from it. */
  archive?: ArchiveRouteDeps;
};

const offset = z.string().regex(/^\d+$/, 'an offset: digits');
/** The most dead letters one answer carries: each is a whole event, and the topic has no bound. */
export const DLQ_MAX_PAGE = 1_000;
const RequeueSchema = z.strictObject({ offsets: z.array(z.string()).max(DLQ_MAX_PAGE).optional() });
const DlqPageSchema = z.object({
  partition: z.coerce.number().int().min(0).default(0),
  from: offset.default('0'),
  limit: z.coerce.number().int().min(1).max(DLQ_MAX_PAGE).default(100),
});

/**
 * The operators' API behind the CLI: status, sagas, dead letters. The bridge's own admin bearer
 * keys (`BRIDGE_ADMIN_KEYS`, never the Worker's), compared by digest in constant time.
 */
export function adminRoutes({ log, edge, logger, adminKeys, metrics, sagas: running, sagaGroup, orders, wmsHealth, warehouses, archive }: AdminDeps) {
  const isAdmin = adminKeyCheck(adminKeys);
  const app = new Hono();

  app.use(async (c, next) => {
    if (!isAdmin(c.req.header('authorization'))) return bridgeErrorResponse(c, { code: 'unauthorized' });
    await next();
  });

  app.route('/projections', projectionRoutes(log, edge, logger, sagaGroup.self, archive?.store ?? null));
  if (archive) app.route('/archive', archiveRoutes(archive));
  app.route('/', sagaRoutes({ local: running, ...sagaGroup }));
  if (warehouses) app.route('/', warehouseRoutes({ log, ...warehouses }));
  app.route('/dashboard', dashboardData({ log, edge, metrics, causal: () => orders()?.causal() ?? null }));

  app.get('/status', async (c) => {
    const [logHealth, wms] = await Promise.all([log.health(), wmsHealth()]);
    const sagas = running();
    return c.json({ log: logHealth, wms, sagas: sagas ? sagas.store.countByPhase() : null, causal: orders()?.causal() ?? null });
  });

  app.get('/checkouts/:id', (c) => {
    const view = orders();
    if (!view) return bridgeErrorResponse(c, { code: 'orders_disabled' });
    const id = c.req.param('id');
    const order = view.get(id);
    if (order) return c.json(order);
    if (!view.isRetired(id)) return bridgeErrorResponse(c, { code: 'order_not_found' });
    return bridgeErrorResponse(c, {
      code: 'order_retired',
      message: `checkout ${id} finished and was retired from the order view (ORDER_VIEW_RETENTION_SECONDS after it finished); the edge still answers for it`,
    });
  });

  /** One page of one partition's dead letters, and where the next page starts (another partition's, maybe). */
  app.get('/dlq', async (c) => {
    const query = DlqPageSchema.safeParse(c.req.query());
    if (!query.success) return bridgeErrorResponse(c, invalid(query.error));
    const { partition, from, limit } = query.data;
    const ends = await log.endOffsets(DLQ_TOPIC);
    const records = ends.has(partition) ? await readPage(log, DLQ_TOPIC, partition, from, limit) : [];
    const last = records[records.length - 1];
    const more = last !== undefined && records.length === limit && BigInt(last.offset) + 1n < BigInt(ends.get(partition)!);
    const later = [...ends].filter(([p, end]) => p > partition && end !== '0').sort(([a], [b]) => a - b)[0];
    const next = more ? { partition, from: (BigInt(last.offset) + 1n).toString() } : later ? { partition: later[0], from: '0' } : null;
    return c.json({
      total: [...ends.values()].reduce((n, end) => n + Number(end), 0),
      partition,
      from,
      records: records.map(({ offset, partition, key, value, headers, timestamp }) => ({ partition, offset, key, value, headers, timestamp })),
      next,
    });
  });

  /** Dead letters back to the topic they came from, a batch at a time; consumers dedupe, so a requeue is harmless. */
  app.post('/dlq/requeue', async (c) => {
    const body = RequeueSchema.safeParse(await c.req.json().catch(() => ({})));
    if (!body.success) return bridgeErrorResponse(c, invalid(body.error));
    const wanted = body.data.offsets ? new Set(body.data.offsets) : null;
    const everyPartition = new Map([...(await log.endOffsets(DLQ_TOPIC)).keys()].map((p) => [p, '0']));
    let requeued = 0;
    await scan(log, DLQ_TOPIC, everyPartition, async (batch) => {
      const byTopic = new Map<string, { key: string; value: string; headers: Record<string, string> }[]>();
      for (const r of batch.filter((r) => !wanted || wanted.has(r.offset))) {
        const topic = r.headers?.['dlq-topic'] ?? EVENTS_TOPIC;
        byTopic.set(topic, [...(byTopic.get(topic) ?? []), { key: r.key, value: r.value, headers: { ...r.headers, 'dlq-requeued-from': r.offset } }]);
        requeued++;
      }
      for (const [topic, records] of byTopic) await log.append(topic, records);
    });
    return c.json({ requeued });
  });

  return app;
}

const invalid = (error: z.ZodError) => ({
  code: 'invalid_request' as const,
  message: 'invalid query or body',
  issues: error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
});
