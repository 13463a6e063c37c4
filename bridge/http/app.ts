import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import { INGEST_PATH, RelayBatchSchema, type RelayBatch } from '../../src/internal/relayBatch';
import { NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from '../../src/internal/signature';
import { EVENTS_TOPIC } from '../eventLog/topics';
import type { EventLog } from '../eventLog/port';
import { ReplayGuard } from '../ingest/replayGuard';
import { toRecords } from '../ingest/toRecords';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { bridgeErrorResponse } from './errors';

export type ComponentState = 'running' | 'starting' | 'off';

export type BridgeAppDeps = {
  log: EventLog;
  /** The background components (sagas, snapshotter) and whether they run yet. */
  components?: () => Record<string, ComponentState>;
  secrets: readonly string[];
  metrics: Metrics;
  logger: Logger;
  now?: () => number;
};

type BridgeEnv = { Variables: { requestId: string; logger: Logger } };

/** 500 events of a few hundred bytes each, with room to spare. */
const MAX_INGEST_BYTES = 4 * 1024 * 1024;

export function createBridgeApp({ log, components = () => ({}), secrets, metrics, logger, now = Date.now }: BridgeAppDeps) {
  const app = new Hono<BridgeEnv>();
  const replays = new ReplayGuard();

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
  });

  app.get('/healthz', async (c) => {
    const health = await log.health();
    // Ready for pushes as soon as the log is; components still starting are shown, not fatal.
    return c.json({ status: health.ok ? 'ok' : 'unavailable', log: health, components: components() }, health.ok ? 200 : 503);
  });

  app.get('/metrics', async (c) => c.text(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }));

  app.post(
    INGEST_PATH,
    bodyLimit({
      maxSize: MAX_INGEST_BYTES,
      onError: (c) => bridgeErrorResponse(c, { code: 'invalid_request', message: `body exceeds ${MAX_INGEST_BYTES} bytes` }),
    }),
    async (c) => {
      const raw = await c.req.text();
      const url = new URL(c.req.url);
      const check = await verifySignature(
        secrets,
        { timestamp: c.req.header(TIMESTAMP_HEADER), nonce: c.req.header(NONCE_HEADER), signature: c.req.header(SIGNATURE_HEADER) },
        { method: c.req.method, path: url.pathname + url.search, body: raw },
        now(),
      );
      const reason = !check.ok ? check.reason : replays.accept(check.id, check.expiresAt, now()) ? null : 'replayed';
      if (reason) {
        metrics.rejected.inc({ reason });
        c.get('logger').warn({ reason }, 'ingest refused: signature');
        return bridgeErrorResponse(c, { code: 'invalid_signature', reason });
      }
      const batch = parseBatch(raw);
      if (!batch.ok) {
        metrics.rejected.inc({ reason: 'invalid_batch' });
        return bridgeErrorResponse(c, { code: 'invalid_request', message: batch.message, issues: batch.issues });
      }
      try {
        await log.append(EVENTS_TOPIC, toRecords(batch.value));
      } catch (error) {
        metrics.batches.inc({ outcome: 'failed' });
        metrics.logErrors.inc({ operation: 'append' });
        c.get('logger').error({ err: error, sku: batch.value.sku }, 'append to the event log failed');
        return bridgeErrorResponse(c, { code: 'log_unavailable', message: 'the event log did not acknowledge the batch; retry later' });
      }
      observeRelayed(metrics, batch.value, now());
      const last = batch.value.events[batch.value.events.length - 1]!;
      return c.json({ sku: batch.value.sku, acked: last.version });
    },
  );

  return app;
}

type Parsed = { ok: true; value: RelayBatch } | { ok: false; message: string; issues?: unknown };

function parseBatch(raw: string): Parsed {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, message: 'body is not JSON' };
  }
  const parsed = RelayBatchSchema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, message: 'not a relay batch', issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) };
}

function observeRelayed(metrics: Metrics, batch: RelayBatch, now: number): void {
  metrics.batches.inc({ outcome: 'appended' });
  metrics.eventsRelayed.inc(batch.events.length);
  for (const event of batch.events) metrics.commitToLog.observe((now - Date.parse(event.at)) / 1000);
  metrics.relayLag.set({ sku: batch.sku }, (now - Date.parse(batch.events[batch.events.length - 1]!.at)) / 1000);
}
