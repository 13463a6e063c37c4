import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumeInOrder, memoryVersions } from '../../bridge/consumers/orderedEvents';
import { createEdgeClient } from '../../bridge/edge/client';
import { KafkaEventLog } from '../../bridge/eventLog/kafka';
import type { Subscription } from '../../bridge/eventLog/port';
import { EVENTS_TOPIC } from '../../bridge/eventLog/topics';
import { createMetrics } from '../../bridge/metrics';
import type { SkuEvent } from '../../src/domain/sku';
import { INGEST_PATH } from '../../src/contract/relayBatch';
import { signatureHeaders } from '../../src/contract/signature';
// @ts-expect-error -- a plain ESM script shared with `npm run kafka:start`
import { startKafka, stopKafka } from '../../scripts/kafka.mjs';
import { freePort, startBridgeProcess, type BridgeProcess } from './support/processes';
import { objectLog, pool, waitFor } from './support/system';
import { storefront } from './support/storefront';
import { ADMIN_KEY, startWorker } from './support/worker';

/**
 * The whole relay: the Worker in workerd pushes its outbox to the bridge process, which produces
 * to a real Kafka broker; a consumer group applies the events in order with dedupe and gap repair.
 * This file owns its broker, since it stops and restarts it.
 */
type Broker = { brokers: string; pid: number };

const secret = randomBytes(32).toString('hex');
const silent = pino({ level: 'silent' });
let broker: Broker;
let worker: Awaited<ReturnType<typeof startWorker>>;
let bridge: BridgeProcess;
let bridgeEnv: Record<string, string>;
let consumerLog: KafkaEventLog;
let verifier: Subscription;
const applied = new Map<string, SkuEvent[]>();
const metrics = createMetrics();

beforeAll(async () => {
  broker = await startKafka();
  const bridgePort = await freePort();
  worker = await startWorker({ BRIDGE_URL: `http://127.0.0.1:${bridgePort}`, INTERNAL_SECRET: secret, RELAY_MAX_BACKOFF_SECONDS: '1' });
  // The relay alone: the WMS saga has its own end-to-end tests.
  bridgeEnv = { BRIDGE_PORT: String(bridgePort), KAFKA_BROKERS: broker.brokers, INTERNAL_SECRET: secret, EDGE_URL: worker.url, SAGA: 'off', FEED: 'off' };
  bridge = await startBridgeProcess(bridgeEnv);
  consumerLog = new KafkaEventLog({ brokers: [broker.brokers], clientId: 'e2e-verifier', replicationFactor: -1, partitions: 4, logger: silent });
  verifier = await consumeInOrder({
    log: consumerLog,
    groupId: 'e2e-verifier',
    fromBeginning: true,
    edge: createEdgeClient(worker.url, secret),
    versions: memoryVersions(),
    metrics,
    logger: silent,
    apply: async (event) => void applied.set(event.sku, [...(applied.get(event.sku) ?? []), event]),
  });
});

afterAll(async () => {
  await verifier?.stop();
  await consumerLog?.close();
  await bridge?.kill('SIGTERM');
  await worker?.close();
  if (broker) await stopKafka(broker);
});

const { admin, reserve } = storefront(() => worker.url);

const logOf = (sku: string) => objectLog(worker.env.SKU, sku);

async function expectRelayedExactlyOnce(skus: string[]): Promise<void> {
  await waitFor('every outbox to drain', async () => {
    const statuses = await Promise.all(skus.map((sku) => worker.env.SKU.getByName(sku).relayStatus(sku)));
    return statuses.every((s) => s.ok && s.value.pending === 0);
  });
  const logs = await Promise.all(skus.map(logOf));
  await waitFor('the consumer to apply every event', async () =>
    skus.every((sku, i) => (applied.get(sku)?.length ?? 0) >= logs[i]!.length),
  );
  skus.forEach((sku, i) => {
    const got = applied.get(sku)!;
    expect(got.map((e) => e.version)).toEqual(logs[i]!.map((_, v) => v + 1));
    expect(got).toEqual(logs[i]);
  });
}

const skuNames = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(2, '0')}`);

describe('outbox → bridge → Kafka → ordered consumer', () => {
  it('5,000 reservations across 20 SKUs reach Kafka; the consumer applies each event once, in order, equal to the objects’ logs', async () => {
    const skus = skuNames('E2E-A', 20);
    for (const sku of skus) expect((await admin(`${sku}/stock`, 'PUT', { onHand: 300 })).status).toBe(200);
    const tasks = Array.from({ length: 5000 }, (_, i) => () => reserve(skus[i % 20]!, `customer-${i}`));
    const statuses = await pool(tasks, 32);
    expect(statuses.filter((s) => s !== 201)).toEqual([]);
    await expectRelayedExactlyOnce(skus);
    expect(skus.map((sku) => applied.get(sku)!.length)).toEqual(skus.map(() => 251));
  });

  it('bridge SIGKILLed and restarted, broker stopped and restarted mid-stream: no event lost, duplicates only before dedupe', async () => {
    const skus = skuNames('E2E-F', 10);
    for (const sku of skus) expect((await admin(`${sku}/stock`, 'PUT', { onHand: 300 })).status).toBe(200);
    const faults: Promise<void>[] = [];
    const tasks = Array.from({ length: 2000 }, (_, i) => () => reserve(skus[i % 10]!, `customer-${i}`));
    const statuses = await pool(tasks, 16, (done) => {
      if (done === 400) faults.push(restartBridge());
      if (done === 1200) faults.push(restartBroker());
    });
    await Promise.all(faults);
    // Writes never depended on the back office: every reservation committed at the edge.
    expect(statuses.filter((s) => s !== 201)).toEqual([]);
    await expectRelayedExactlyOnce(skus);
  });
});

describe('outages and repair', () => {
  it('while the bridge stays down, the outbox keeps every event and the relay route shows the capped backoff; then it drains', async () => {
    const sku = 'E2E-OUT-1';
    expect((await admin(`${sku}/stock`, 'PUT', { onHand: 50 })).status).toBe(200);
    await waitFor('the stock event to be relayed', async () => (applied.get(sku)?.length ?? 0) === 1);
    await bridge.kill('SIGTERM');
    const statuses = await pool(Array.from({ length: 20 }, (_, i) => () => reserve(sku, `outage-${i}`)), 4);
    expect(statuses.filter((s) => s !== 201)).toEqual([]);
    type Relay = { pending: number; relayedVersion: number; attempts: number; nextAttemptAt: number | null; lastError: string | null };
    let relay: Relay | undefined;
    await waitFor('several failed pushes', async () => {
      const res = await fetch(`${worker.url}/v1/admin/skus/${sku}/relay`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      relay = (await res.json()) as Relay;
      return relay.attempts >= 4;
    }, 30_000);
    expect(relay).toMatchObject({ pending: 20, relayedVersion: 1 });
    expect(relay!.lastError).toMatch(/push failed|bridge answered/);
    // RELAY_MAX_BACKOFF_SECONDS=1 here: the delay never exceeds the ceiling however long the outage.
    expect(relay!.nextAttemptAt! - Date.now()).toBeLessThanOrEqual(1_000);
    expect(applied.get(sku)).toHaveLength(1);

    bridge = await startBridgeProcess(bridgeEnv);
    await expectRelayedExactlyOnce([sku]);
    const after = (await (await fetch(`${worker.url}/v1/admin/skus/${sku}/relay`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).json()) as Relay;
    expect(after).toMatchObject({ pending: 0, relayedVersion: 21, attempts: 0, nextAttemptAt: null, lastError: null });
  });

  it('a log with holes and repeats: the consumer fetches the missing versions from the edge and applies each once', async () => {
    const sku = 'E2E-GAP-1';
    expect((await admin(`${sku}/stock`, 'PUT', { onHand: 50 })).status).toBe(200);
    for (let i = 0; i < 5; i++) expect(await reserve(sku, `gap-${i}`)).toBe(201);
    const log = await logOf(sku);
    expect(log).toHaveLength(6);

    // A copy of the SKU's stream that lost v3 and v4 and repeats others, as a broken relay could.
    const topic = `e2e-gappy-${Date.now()}`;
    await consumerLog.ensureTopics([{ name: topic, kind: 'history' }]);
    const delivered = [1, 2, 2, 1, 5, 6, 5, 6].map((v) => log[v - 1]!);
    await consumerLog.append(topic, delivered.map((e) => ({ key: sku, value: JSON.stringify(e) })));

    const gapMetrics = createMetrics();
    const repaired: SkuEvent[] = [];
    const subscription = await consumeInOrder({
      log: consumerLog,
      groupId: `${topic}-group`,
      topic,
      fromBeginning: true,
      edge: createEdgeClient(worker.url, secret),
      versions: memoryVersions(),
      metrics: gapMetrics,
      logger: silent,
      apply: async (event) => void repaired.push(event),
    });
    try {
      await waitFor('the repaired stream', async () => repaired.length >= 6, 60_000);
      await new Promise((r) => setTimeout(r, 500));
      expect(repaired).toEqual(log);
      expect(await gapMetrics.registry.getSingleMetricAsString('bridge_consumer_gap_events_total')).toContain(`group="${topic}-group"} 2`);
      expect(await gapMetrics.registry.getSingleMetricAsString('bridge_consumer_duplicates_total')).toContain(`group="${topic}-group"} 4`);
    } finally {
      await subscription.stop();
    }
  });
});

async function restartBridge(): Promise<void> {
  await bridge.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 1_000));
  bridge = await startBridgeProcess(bridgeEnv);
}

async function restartBroker(): Promise<void> {
  await stopKafka(broker, { keepData: true });
  await new Promise((r) => setTimeout(r, 2_000));
  broker = await startKafka({ restart: broker });
}

describe('/ingest signatures', () => {
  const kafkaAdmin = () => new Kafka({ clientId: 'e2e-offsets', brokers: [broker.brokers], logLevel: logLevel.NOTHING }).admin();

  async function endOffsets(): Promise<string> {
    const client = kafkaAdmin();
    await client.connect();
    try {
      return JSON.stringify((await client.fetchTopicOffsets(EVENTS_TOPIC)).map((p) => p.high));
    } finally {
      await client.disconnect();
    }
  }

  const event = {
    type: 'StockReceived',
    sku: 'E2E-SIG',
    version: 1,
    at: new Date().toISOString(),
    causedBy: { 'sku:E2E-SIG': 1 },
    data: { qty: 5 },
  };
  const body = JSON.stringify({ sku: 'E2E-SIG', events: [event] });
  const parts = { method: 'POST', path: INGEST_PATH, body };
  const push = (headers: Record<string, string>) =>
    fetch(`${bridge.url}${INGEST_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  it('missing, wrong, expired and replayed signatures → 401 with the reason, and nothing is produced', async () => {
    const before = await endOffsets();
    const cases: [string, Record<string, string>][] = [
      ['missing', {}],
      ['mismatch', await signatureHeaders('not-the-secret', parts, Date.now())],
      ['expired', await signatureHeaders(secret, parts, Date.now() - 301_000)],
      ['malformed', { ...(await signatureHeaders(secret, parts, Date.now())), 'x-signature': 'v1=abc' }],
    ];
    for (const [reason, headers] of cases) {
      const response = await push(headers);
      expect(response.status, reason).toBe(401);
      expect(await response.json()).toEqual({ error: { code: 'invalid_signature', message: `internal call refused: signature ${reason}`, details: { reason } } });
    }
    expect(await endOffsets()).toBe(before);

    const good = await signatureHeaders(secret, parts, Date.now());
    const accepted = await push(good);
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toEqual({ sku: 'E2E-SIG', acked: 1 });
    const afterOne = await endOffsets();
    expect(afterOne).not.toBe(before);

    const replayed = await push(good);
    expect(replayed.status).toBe(401);
    expect(((await replayed.json()) as { error: { details: unknown } }).error.details).toEqual({ reason: 'replayed' });
    expect(await endOffsets()).toBe(afterOne);
  });
});
