import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumeInOrder, memoryVersions } from '../../bridge/consumers/orderedEvents';
import { createEdgeClient } from '../../bridge/edge/client';
import { KafkaEventLog } from '../../bridge/eventLog/kafka';
import { DEFAULT_PARTITIONS } from '../../bridge/eventLog/topicSettings';
import type { Subscription } from '../../bridge/eventLog/port';
import { createMetrics } from '../../bridge/metrics';
import type { SkuEvent } from '../../src/domain/sku';
// @ts-expect-error -- a plain ESM script shared with `npm run kafka:start`
import { startKafka, stopKafka } from '../../scripts/kafka.mjs';
import { freePort, startBridgeProcess, type BridgeProcess } from './support/processes';
import { objectLog, pool, waitFor } from './support/system';
import { storefront } from './support/storefront';
import { ADMIN_KEY, startWorker } from './support/worker';

/**
 * BRIDGE_URL lists four replicas: one that accepts connections and never answers, one where
 * nothing listens, and two live bridges on one real Kafka broker. The objects fail over within a
 * push run, stay with the replica that acknowledged, and survive a SIGKILL of one live bridge:
 * every event reaches Kafka and the consumer applies it once, in order, by (sku, version).
 */
const secret = randomBytes(32).toString('hex');
const silent = pino({ level: 'silent' });
let broker: { brokers: string };
let worker: Awaited<ReturnType<typeof startWorker>>;
let hung: Server;
/** The SKUs whose pushes reached the replica that never answers, one entry per push. */
const hungPushes: string[] = [];
let bridges: BridgeProcess[];
let bridgeEnvs: Record<string, string>[];
let consumerLog: KafkaEventLog;
let verifier: Subscription;
const applied = new Map<string, SkuEvent[]>();

beforeAll(async () => {
  broker = await startKafka();
  const [hungPort, deadPort, portA, portB] = [await freePort(), await freePort(), await freePort(), await freePort()];
  hung = createServer((request) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => hungPushes.push((JSON.parse(body) as { sku: string }).sku));
  });
  await new Promise<void>((resolve) => hung.listen(hungPort, '127.0.0.1', resolve));
  const url = (port: number) => `http://127.0.0.1:${port}`;
  worker = await startWorker({ BRIDGE_URL: [hungPort, deadPort, portA, portB].map(url).join(','), INTERNAL_SECRET: secret, RELAY_MAX_BACKOFF_SECONDS: '1' });
  // The relay alone, on two replicas: the background consumers are not what this file is about.
  bridgeEnvs = [portA, portB].map((port) => ({ BRIDGE_PORT: String(port), KAFKA_BROKERS: broker.brokers, INTERNAL_SECRET: secret, EDGE_URL: worker.url, SAGA: 'off', FEED: 'off', SNAPSHOTS: 'off', ORDERS: 'off' }));
  bridges = await Promise.all(bridgeEnvs.map((env) => startBridgeProcess(env)));
  consumerLog = new KafkaEventLog({ brokers: [broker.brokers], clientId: 'e2e-failover-verifier', replicationFactor: -1, partitions: DEFAULT_PARTITIONS, logger: silent });
  verifier = await consumeInOrder({
    log: consumerLog,
    groupId: 'e2e-failover-verifier',
    fromBeginning: true,
    edge: createEdgeClient(worker.url, secret),
    versions: memoryVersions(),
    metrics: createMetrics(),
    logger: silent,
    apply: async (event) => void applied.set(event.sku, [...(applied.get(event.sku) ?? []), event]),
  });
});

afterAll(async () => {
  await verifier?.stop();
  await consumerLog?.close();
  await Promise.all((bridges ?? []).map((bridge) => bridge.kill('SIGTERM')));
  hung?.closeAllConnections();
  hung?.close();
  await worker?.close();
  if (broker) await stopKafka(broker);
});

const { admin, reserve } = storefront(() => worker.url);

const skuNames = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(2, '0')}`);

async function relayed(bridge: BridgeProcess): Promise<number> {
  const text = await (await fetch(`${bridge.adminUrl}/metrics`)).text();
  return Number(/^bridge_events_relayed_total (\d+)$/m.exec(text)?.[1] ?? NaN);
}

/** Every outbox drained within `withinMs`, and the consumer holds exactly each object's log. */
async function expectRelayedExactlyOnce(skus: string[], withinMs: number): Promise<void> {
  await waitFor(`every outbox to drain within ${withinMs} ms`, async () => {
    const statuses = await Promise.all(skus.map((sku) => worker.env.SKU.getByName(sku).relayStatus(sku)));
    return statuses.every((s) => s.ok && s.value.pending === 0);
  }, withinMs);
  const logs = await Promise.all(skus.map((sku) => objectLog(worker.env.SKU, sku)));
  await waitFor('the consumer to apply every event', async () => skus.every((sku, i) => (applied.get(sku)?.length ?? 0) >= logs[i]!.length));
  skus.forEach((sku, i) => {
    expect(applied.get(sku)!.map((e) => e.version), sku).toEqual(logs[i]!.map((_, v) => v + 1));
    expect(applied.get(sku), sku).toEqual(logs[i]);
  });
}

describe('the objects push to any bridge replica', () => {
  it('past a replica that hangs and one that is down: every event once, both live replicas used, and each object waits for the hung one at most once', async () => {
    const skus = skuNames('FO-A', 30);
    for (const sku of skus) expect((await admin(`${sku}/stock`, 'PUT', { onHand: 100 })).status).toBe(200);
    const statuses = await pool(Array.from({ length: 1200 }, (_, i) => () => reserve(skus[i % 30]!, `customer-${i}`)), 16);
    expect(statuses.filter((s) => s !== 201)).toEqual([]);
    // Failover happens inside a push run (the hung replica costs 4 s, the dead one nothing): no long backoff.
    await expectRelayedExactlyOnce(skus, 30_000);
    expect(skus.map((sku) => applied.get(sku)!.length)).toEqual(skus.map(() => 41));
    // Objects start at the replica their id hashes to: among 30, some start at each of the four.
    const [onA, onB] = [await relayed(bridges[0]!), await relayed(bridges[1]!)];
    expect(onA).toBeGreaterThan(0);
    expect(onB).toBeGreaterThan(0);
    expect(onA + onB).toBeGreaterThanOrEqual(30 * 41);
    // Once a replica acknowledged, an object stays with it: the hung one saw each SKU at most once.
    expect(hungPushes.length).toBeGreaterThan(0);
    expect(new Set(hungPushes).size).toBe(hungPushes.length);
  });

  it('one live bridge killed with SIGKILL mid-sale: the objects move to the other, every event once, the relay lag recovers', async () => {
    const skus = skuNames('FO-K', 10);
    for (const sku of skus) expect((await admin(`${sku}/stock`, 'PUT', { onHand: 300 })).status).toBe(200);
    const faults: Promise<void>[] = [];
    const statuses = await pool(Array.from({ length: 2000 }, (_, i) => () => reserve(skus[i % 10]!, `customer-${i}`)), 16, (done) => {
      if (done === 500) faults.push(bridges[0]!.kill('SIGKILL'));
    });
    await Promise.all(faults);
    expect(faults).toHaveLength(1);
    expect(statuses.filter((s) => s !== 201)).toEqual([]);
    // No restart of the killed replica: the survivor takes its objects' pushes at once.
    await expectRelayedExactlyOnce(skus, 30_000);
    const lag = await Promise.all(skus.map((sku) => worker.env.SKU.getByName(sku).relayStatus(sku)));
    expect(lag.map((s) => s.ok && { pending: s.value.pending, attempts: s.value.attempts })).toEqual(skus.map(() => ({ pending: 0, attempts: 0 })));
    bridges[0] = await startBridgeProcess(bridgeEnvs[0]!);
  });

  it('an invalid BRIDGE_URL stops no sale: the reservation commits, and the relay status names what to fix', async () => {
    const misconfigured = await startWorker({ BRIDGE_URL: `${bridges[1]!.url}/bridge, ftp://bridge.example.com`, INTERNAL_SECRET: secret, RELAY_MAX_BACKOFF_SECONDS: '1' });
    try {
      const sku = 'FO-BADURL';
      const put = await fetch(`${misconfigured.url}/v1/admin/skus/${sku}/stock`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ onHand: 5 }),
      });
      expect(put.status).toBe(200);
      type Relay = { pending: number; attempts: number; lastError: string | null };
      let relay: Relay | undefined;
      await waitFor('a failed push', async () => {
        const res = await fetch(`${misconfigured.url}/v1/admin/skus/${sku}/relay`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
        relay = (await res.json()) as Relay;
        return relay.attempts >= 1;
      }, 30_000);
      expect(relay).toMatchObject({ pending: 1 });
      expect(relay!.lastError).toBe(
        `BRIDGE_URL is invalid: entry 1 ("${bridges[1]!.url}/bridge") has a path, query or fragment; give the origin only (${bridges[1]!.url}); ` +
          'entry 2 ("ftp://bridge.example.com") is not an http(s) URL. Give the bridge replicas\' http(s) origins, comma-separated (e.g. https://bridge-1.example.com,https://bridge-2.example.com)',
      );
    } finally {
      await misconfigured.close();
    }
  });
});
