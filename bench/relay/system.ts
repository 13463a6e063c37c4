import { Kafka, logLevel } from 'kafkajs';
// @ts-expect-error -- a plain ESM script shared with `npm run kafka:start`
import { startKafka, stopKafka } from '../../scripts/kafka.mjs';
import { freePort } from '../../test/e2e/support/processes';
import { BENCH_BRIDGE_ADMIN_KEY, startEdge } from '../lib/edge';
import { BridgeRunner } from './bridgeRunner';
import { handleSignals, type Cleanup } from './cleanup';
import { EdgeLogs } from './edgeLogs';
import { EventsWatcher } from './eventsWatcher';
import { PARAMS } from './params';

type Broker = { brokers: string; pid: number; dir: string };

/**
 * Starts the system under test, each part's stop pushed to `cleanups` as soon as it runs: the
 * broker, the Worker, the bridge between them, and a consumer watching inventory.events.
 */
export async function startSystem(cleanups: Cleanup[]) {
  const broker = (await startKafka()) as Broker;
  // Ours explicitly: stopKafka() without an argument stops whichever broker last wrote the state file.
  cleanups.push(() => stopKafka(broker));

  // Each needs the other's address: the bridge's port is chosen first, the edge takes any.
  const bridgePort = await freePort();
  const edgeLogs = new EdgeLogs();
  const edge = await startEdge(
    {
      BRIDGE_URL: `http://127.0.0.1:${bridgePort}`,
      RELAY_MAX_BACKOFF_SECONDS: '1',
      // No hold may expire mid-run: expiries would add events outside the measured window.
      DEFAULT_TTL_SECONDS: '3600',
    },
    { handleStructuredLogs: edgeLogs.handle },
  );
  cleanups.push(() => edge.close());
  handleSignals(cleanups);
  const bridgeEnv = {
    BRIDGE_PORT: String(bridgePort),
    KAFKA_BROKERS: broker.brokers,
    INTERNAL_SECRET: 'bench-internal-secret',
    EDGE_URL: edge.url,
    BRIDGE_ADMIN_KEYS: BENCH_BRIDGE_ADMIN_KEY,
    SAGA: 'off',
    FEED: 'off',
    SNAPSHOTS: 'on',
    SNAPSHOT_EVERY_EVENTS: String(PARAMS.snapshotEveryEvents),
  };
  // The catch-up phase replaces the bridge process: the cleanup stops whichever one runs by then,
  // after which the objects' refused pushes (a run that failed with a backlog) are expected.
  const bridges = new BridgeRunner(bridgeEnv);
  cleanups.push(() => {
    edgeLogs.expectRefusedPushes = true;
    return bridges.stop();
  });
  const bridge = await bridges.start().ready;

  const kafka = new Kafka({ clientId: 'bench-relay', brokers: [broker.brokers], logLevel: logLevel.ERROR });
  const watcher = await EventsWatcher.start(kafka);
  cleanups.push(() => watcher.stop());
  return { broker, edge, edgeLogs, bridgeEnv, bridges, bridge, kafka, watcher };
}
