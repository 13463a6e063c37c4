import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedEventLog } from '../../bridge/eventLog/embedded';
import { LogOverloadedError, RecordTooLargeError } from '../../bridge/eventLog/errors';
import type { ConsumedRecord } from '../../bridge/eventLog/port';
import { CHECKOUTS_TOPIC, EVENTS_TOPIC, TOPICS } from '../../bridge/eventLog/topics';
import { createBridgeApp } from '../../bridge/http/app';
import { ReplayGuard } from '../../bridge/ingest/replayGuard';
import { createMetrics, groupLabel, RELAY_LAG_SKUS, RELAY_LAG_WINDOW_MS } from '../../bridge/metrics';
import { ackParts, NONCE_HEADER, signatureHeaders } from '../../src/contract/signature';
import { unsignedAck } from '../../durable-objects/relay/push';

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
  const res = await app.request(path, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
  return Object.assign(res, { nonce: headers[NONCE_HEADER]!, path });
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
    const answer = await res.text();
    expect(JSON.parse(answer)).toEqual({ sku: 'ING-A', acked: 2 });
    // Issue 26: the ack is signed for this push alone; the object refuses it for any other, or altered.
    expect(await unsignedAck([SECRET], res.headers, ackParts(res.path, res.nonce, answer), Date.now())).toBeNull();
    expect(await unsignedAck([SECRET], res.headers, ackParts(res.path, 'another-push-nonce', answer), Date.now())).toBe('acknowledgement refused: signature mismatch');
    expect(await unsignedAck([SECRET], res.headers, ackParts(res.path, res.nonce, answer.replace('2', '3')), Date.now())).toBe('acknowledgement refused: signature mismatch');
    expect(await unsignedAck([SECRET], new Headers(), ackParts(res.path, res.nonce, answer), Date.now())).toBe('acknowledgement refused: signature missing');
    const records = (await logged()).filter((r) => r.key === 'ING-A');
    // Pushed unstamped (as an object before ADR 0012 does), logged stamped with today's version.
    expect(records.map((r) => JSON.parse(r.value))).toEqual(events.map((e) => ({ ...e, schemaVersion: 1 })));
    expect(records.map((r) => r.headers)).toEqual([
      { 'event-type': 'StockReceived', sku: 'ING-A', version: '1' },
      { 'event-type': 'StockReceived', sku: 'ING-A', version: '2' },
    ]);
    // Scraped on the admin listener (adminApp.ts); the registry is what it serves.
    const text = await metrics.registry.metrics();
    expect(text).toContain('bridge_events_relayed_total 2');
    expect(text).toContain('bridge_ingest_batches_total{outcome="appended"} 1');
    expect(text).toMatch(/bridge_relay_lag_seconds\{sku="ING-A"\} \d/);
  });

  it('relay lag is reported for the most lagging SKUs of the window only: a bounded label set, unchanged by a scrape, no stale series', async () => {
    let later = 0;
    const metrics = createMetrics(() => Date.now() + later);
    const app = createBridgeApp({ log, secrets: [SECRET], metrics, logger: pino({ level: 'silent' }) });
    const lagged = (sku: string, seconds: number) => ({ ...event(sku, 1), at: new Date(Date.now() - seconds * 1000).toISOString() });
    for (let i = 1; i <= 3 * RELAY_LAG_SKUS; i++) {
      const sku = `LAG-${i}`;
      expect((await push(app, JSON.stringify({ sku, events: [lagged(sku, i)] }))).status).toBe(200);
    }
    const series = async () => (await metrics.registry.getSingleMetricAsString('bridge_relay_lag_seconds')).split('\n').filter((l) => l.startsWith('bridge_relay_lag_seconds{'));
    const first = await series();
    expect(first).toHaveLength(RELAY_LAG_SKUS);
    const shown = first.map((line) => /sku="LAG-(\d+)"/.exec(line)![1]).map(Number).sort((a, b) => a - b);
    expect(shown).toEqual(Array.from({ length: RELAY_LAG_SKUS }, (_, i) => 2 * RELAY_LAG_SKUS + 1 + i));
    // A second scrape (or a second Prometheus) reads the same window.
    expect(await series()).toEqual(first);
    // Nothing relayed for a window: nothing to show, rather than the last values forever.
    later = RELAY_LAG_WINDOW_MS;
    expect(await series()).toEqual([]);
  });

  it('the replay guard is bounded: past its size a push is refused as overload with Retry-After, and a replay stays refused', async () => {
    const metrics = createMetrics();
    const app = createBridgeApp({ log, secrets: [SECRET], metrics, logger: pino({ level: 'silent' }), maxReplayEntries: 2 });
    const bodies = [1, 2, 3].map((n) => JSON.stringify({ sku: 'ING-R', events: [event('ING-R', n)] }));
    const body = (n: number) => bodies[n - 1]!;
    const signed = await signatureHeaders(SECRET, { method: 'POST', path: '/ingest', body: body(1) }, Date.now());
    const send = (headers: Record<string, string>, raw: string) => app.request('/ingest', { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: raw });
    expect((await send(signed, body(1))).status).toBe(200);
    expect((await push(app, body(2))).status).toBe(200);
    const full = await push(app, body(3));
    expect(full.status).toBe(503);
    expect(await full.json()).toEqual({ error: { code: 'overloaded', message: 'too many pushes in the signature window; retry later' } });
    expect(Number(full.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // A replay is still a replay (401), not an overload.
    expect((await send(signed, body(1))).status).toBe(401);
    expect(await metrics.registry.getSingleMetricAsString('bridge_ingest_rejected_total')).toContain('reason="overloaded"} 1');
  });

  it('an append the log refuses as too large is 413, as overload 503 with Retry-After; other failures stay 503 log_unavailable', async () => {
    const refusing = (error: Error) => ({ append: async () => Promise.reject(error) }) as unknown as EmbeddedEventLog;
    const answer = async (error: Error) => {
      const app = createBridgeApp({ log: refusing(error), secrets: [SECRET], metrics: createMetrics(), logger: pino({ level: 'silent' }) });
      const res = await push(app, JSON.stringify({ sku: 'ING-E', events: [event('ING-E', 1)] }));
      return { status: res.status, retryAfter: res.headers.get('retry-after'), code: ((await res.json()) as { error: { code: string } }).error.code };
    };
    expect(await answer(new RecordTooLargeError(EVENTS_TOPIC, 'ING-E', 2_000_000, 1_000_000))).toEqual({ status: 413, retryAfter: null, code: 'record_too_large' });
    expect(await answer(new LogOverloadedError(2))).toEqual({ status: 503, retryAfter: '2', code: 'overloaded' });
    expect(await answer(new Error('broker down'))).toEqual({ status: 503, retryAfter: null, code: 'log_unavailable' });
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

  it('logs a stamped push as it came; refuses a version newer than this bridge, which stays in the object\'s outbox until the upgrade (ADR 0012)', async () => {
    const { app } = bridge();
    const stamped = { ...event('ING-V', 1), schemaVersion: 1 };
    expect((await push(app, JSON.stringify({ sku: 'ING-V', events: [stamped] }))).status).toBe(200);
    expect((await logged()).filter((r) => r.key === 'ING-V').map((r) => JSON.parse(r.value))).toEqual([stamped]);
    const before = (await logged()).length;
    const newer = await push(app, JSON.stringify({ sku: 'ING-V', events: [{ ...event('ING-V', 2), schemaVersion: 2 }] }));
    expect(newer.status).toBe(400);
    expect(await newer.json()).toEqual({
      error: { code: 'invalid_request', message: 'not a relay batch', details: { issues: [{ path: 'events.0', message: 'StockReceived v2 is newer than this reader\'s v1' }] } },
    });
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
    expect(await res.json()).toEqual({ status: 'ok', log: { ok: true, adapter: 'embedded', detail: 'file log, 8 topics' }, components: {} });
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
    const { app, metrics } = bridge();
    const res = await push(app, JSON.stringify({ checkoutId, events: [started, reserved] }), '/ingest/checkouts');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ checkoutId, acked: 2 });
    const records = await logged(CHECKOUTS_TOPIC);
    expect(records.map((r) => [r.key, JSON.parse(r.value)])).toEqual([[checkoutId, { ...started, schemaVersion: 1 }], [checkoutId, { ...reserved, schemaVersion: 1 }]]);
    expect(records[1]!.headers).toEqual({ 'event-type': 'LineReserved', checkout: checkoutId, version: '2' });
    expect(await metrics.registry.metrics()).toContain('bridge_checkout_events_relayed_total 2');
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

describe('replay guard', () => {
  const sig = (n: number) => n.toString(16).padStart(13, '0').padEnd(64, 'a');

  it('remembers a signature until it expires, then forgets it; refuses more than its size until room frees up', () => {
    const guard = new ReplayGuard(2);
    const now = 1_000_000_000;
    expect(guard.accept(sig(1), now + 300_000, now)).toBe('accepted');
    expect(guard.accept(sig(1), now + 300_000, now + 1_000)).toBe('replayed');
    expect(guard.accept(sig(2), now + 600_000, now)).toBe('accepted');
    expect(guard.accept(sig(3), now + 300_000, now)).toBe('full');
    expect(guard.retryAfterSeconds(now)).toBeGreaterThanOrEqual(300);
    expect(guard.retryAfterSeconds(now)).toBeLessThanOrEqual(330);
    // Past the first one's expiry (and its bucket's end): forgotten, room for another.
    expect(guard.accept(sig(3), now + 700_000, now + 330_000)).toBe('accepted');
    expect(guard.size).toBe(2);
    expect(guard.accept(sig(2), now + 600_000, now + 330_000)).toBe('replayed');
  });

  it('stays bounded under a flood whatever the clock skew of the signers', () => {
    const guard = new ReplayGuard(10_000);
    let refused = 0;
    for (let i = 0; i < 50_000; i++) {
      const now = 1_000_000_000 + i * 10; // 500 s of a 100-per-second flood, signers up to 300 s ahead
      if (guard.accept(sig(i), now + 300_000 + (i % 300) * 1_000, now) === 'full') refused++;
      expect(guard.size).toBeLessThanOrEqual(10_000);
    }
    expect(refused).toBeGreaterThan(0);
  });
});

describe('metric labels', () => {
  it('a throw-away consumer group is one label, whatever its run id', () => {
    expect(groupLabel('rebuild-0b5e5c0e-3c1f-4b1e-9d55-6f2f1c1f8a11')).toBe('rebuild');
    expect(groupLabel('wms-saga')).toBe('wms-saga');
    expect(groupLabel('e2e-gappy-1764600000000-group')).toBe('e2e-gappy-1764600000000-group');
  });
});
