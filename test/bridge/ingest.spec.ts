import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedEventLog } from '../../bridge/eventLog/embedded';
import type { ConsumedRecord } from '../../bridge/eventLog/port';
import { CHECKOUTS_TOPIC, EVENTS_TOPIC, TOPICS } from '../../bridge/eventLog/topics';
import { createBridgeApp } from '../../bridge/http/app';
import { createMetrics } from '../../bridge/metrics';
import { signatureHeaders } from '../../src/internal/signature';

const SECRET = 'ingest-test-secret';
let dir: string;
let log: EmbeddedEventLog;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bridge-ingest-'));
  log = new EmbeddedEventLog(join(dir, 'log'));
  await log.ensureTopics(TOPICS);
});
afterAll(async () => {
  await log.close();
  await rm(dir, { recursive: true, force: true });
});

const bridge = (eventLog = log) => {
  const metrics = createMetrics();
  return { metrics, app: createBridgeApp({ log: eventLog, secrets: [SECRET], metrics, logger: pino({ level: 'silent' }) }) };
};

const event = (sku: string, version: number) => ({
  type: 'StockReceived',
  sku,
  version,
  at: new Date().toISOString(),
  causedBy: { [`sku:${sku}`]: version },
  data: { qty: version },
});

async function push(app: ReturnType<typeof bridge>['app'], body: string, path = '/ingest') {
  const headers = await signatureHeaders(SECRET, { method: 'POST', path, body }, Date.now());
  return app.request(path, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
}

/** Everything in a topic so far, read by a throw-away consumer group. */
async function logged(topic = EVENTS_TOPIC): Promise<ConsumedRecord[]> {
  const records: ConsumedRecord[] = [];
  const subscription = await log.subscribe({ groupId: `read-${Math.random()}`, topic, fromBeginning: true, onBatch: async (b) => void records.push(...b) });
  await new Promise((r) => setTimeout(r, 300));
  await subscription.stop();
  return records;
}

describe('POST /ingest', () => {
  it('appends the batch keyed by SKU with type and version headers, then acknowledges its last version', async () => {
    const { app, metrics } = bridge();
    const events = [event('ING-A', 1), event('ING-A', 2)];
    const res = await push(app, JSON.stringify({ sku: 'ING-A', events }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ sku: 'ING-A', acked: 2 });
    const records = (await logged()).filter((r) => r.key === 'ING-A');
    expect(records.map((r) => JSON.parse(r.value))).toEqual(events);
    expect(records.map((r) => r.headers)).toEqual([
      { 'event-type': 'StockReceived', sku: 'ING-A', version: '1' },
      { 'event-type': 'StockReceived', sku: 'ING-A', version: '2' },
    ]);
    const text = await (await app.request('/metrics')).text();
    expect(text).toContain('bridge_events_relayed_total 2');
    expect(text).toContain('bridge_ingest_batches_total{outcome="appended"} 1');
    expect(text).toMatch(/bridge_relay_lag_seconds\{sku="ING-A"\} \d/);
  });

  it('a signed but invalid batch is 400 with the issues, and nothing is appended', async () => {
    const { app } = bridge();
    const before = (await logged()).length;
    const holes = await push(app, JSON.stringify({ sku: 'ING-B', events: [event('ING-B', 1), event('ING-B', 3)] }));
    expect(holes.status).toBe(400);
    expect(await holes.json()).toEqual({
      error: { code: 'invalid_request', message: 'not a relay batch', details: { issues: [{ path: 'events.1.version', message: 'version 3 does not follow 1' }] } },
    });
    const notJson = await push(app, '{"sku":');
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toEqual({ error: { code: 'invalid_request', message: 'body is not JSON' } });
    expect((await logged()).length).toBe(before);
  });

  it('when the log does not acknowledge, 503 log_unavailable, counted, so the object retries', async () => {
    const unready = new EmbeddedEventLog(join(dir, 'no-topics'));
    const { app, metrics } = bridge(unready);
    const res = await push(app, JSON.stringify({ sku: 'ING-C', events: [event('ING-C', 1)] }));
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      error: { code: 'log_unavailable', message: 'the event log did not acknowledge the batch; retry later' },
    });
    expect(await metrics.registry.getSingleMetricAsString('bridge_log_errors_total')).toContain('bridge_log_errors_total{operation="append"} 1');
    await unready.close();
  });

  it('GET /healthz reports the log', async () => {
    const res = await bridge().app.request('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', log: { ok: true, adapter: 'embedded', detail: 'file log, 5 topics' }, components: {} });
  });
});

describe('POST /ingest/checkouts', () => {
  const checkoutId = `chk_${'ab'.repeat(16)}`;
  const started = {
    type: 'CheckoutStarted', checkoutId, version: 1, at: new Date().toISOString(), causedBy: {},
    data: { checkoutId, customerId: 'ann', lines: [{ sku: 'A', qty: 1 }], ttlSeconds: 300, requestHash: 'h' },
  };
  const reserved = { type: 'LineReserved', checkoutId, version: 2, at: new Date().toISOString(), causedBy: { 'sku:A': 4 }, data: { sku: 'A', reservationId: 'r1', skuVersion: 4 } };

  it("appends a coordinator's log to inventory.checkouts keyed by checkout id, and acknowledges its last version", async () => {
    const { app } = bridge();
    const res = await push(app, JSON.stringify({ checkoutId, events: [started, reserved] }), '/ingest/checkouts');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ checkoutId, acked: 2 });
    const records = await logged(CHECKOUTS_TOPIC);
    expect(records.map((r) => [r.key, JSON.parse(r.value)])).toEqual([[checkoutId, started], [checkoutId, reserved]]);
    expect(records[1]!.headers).toEqual({ 'event-type': 'LineReserved', checkout: checkoutId, version: '2' });
    expect(await (await app.request('/metrics')).text()).toContain('bridge_checkout_events_relayed_total 2');
  });

  it("refuses a batch with another checkout's event, a hole, or no signature; nothing appended", async () => {
    const { app } = bridge();
    const before = (await logged(CHECKOUTS_TOPIC)).length;
    const other = { ...reserved, checkoutId: `chk_${'cd'.repeat(16)}` };
    const mixed = await push(app, JSON.stringify({ checkoutId, events: [started, other] }), '/ingest/checkouts');
    expect(mixed.status).toBe(400);
    expect(((await mixed.json()) as { error: { details: { issues: { path: string }[] } } }).error.details.issues.map((i) => i.path)).toContain('events.1.checkoutId');
    const hole = await push(app, JSON.stringify({ checkoutId, events: [started, { ...reserved, version: 3 }] }), '/ingest/checkouts');
    expect(hole.status).toBe(400);
    const unsigned = await app.request('/ingest/checkouts', { method: 'POST', body: JSON.stringify({ checkoutId, events: [started] }) });
    expect(unsigned.status).toBe(401);
    // A checkout batch on the SKU route is not a SKU batch.
    expect((await push(app, JSON.stringify({ checkoutId, events: [started] }))).status).toBe(400);
    expect((await logged(CHECKOUTS_TOPIC)).length).toBe(before);
  });
});
