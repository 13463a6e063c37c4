/**
 * Relay benchmark: how fast committed events travel from the SKU objects (workerd, Miniflare)
 * through the bridge's `/ingest` into Kafka, compared with what the same broker takes from a
 * plain kafkajs producer and from Kafka's own ProducerPerformance tool; the bridge's memory
 * meanwhile; and how fast the bridge rebuilds the read model from offset 0 and from snapshots.
 *
 * The relay is measured twice. While reservations are being made, it can go no faster than the
 * Worker answers them, so that figure is the Worker's. The catch-up phase then stops the bridge,
 * lets a backlog pile up in the SKU objects' outboxes and restarts it: the relay runs at its own
 * full rate, and that is the figure to compare with the two producers.
 *
 *   node --import tsx bench/relay.ts
 *   BENCH_RELAY_EVENTS=2000 BENCH_RELAY_SKUS=20 node --import tsx bench/relay.ts
 *   BENCH_RELAY_EVENTS=2000 BENCH_RELAY_CATCHUP_EVENTS=10000 node --import tsx bench/relay.ts
 *
 * Everything (broker, bridge, Worker) runs on this machine, so the figures are those of one box
 * where the load, the edge, the bridge and the broker share the cores. The parts live in
 * bench/relay/.
 */
import { writeResult } from './lib/report';
import { runCatchUp } from './relay/catchUpPhase';
import { handleSignals, stopAll, type Cleanup } from './relay/cleanup';
import { rawKafkajs } from './relay/kafkajsBaseline';
import { PARAMS } from './relay/params';
import { producerPerformance } from './relay/producerPerformanceBaseline';
import { ratiosTo } from './relay/ratios';
import { awaitSnapshots, rebuild } from './relay/rebuild';
import { runRelay } from './relay/relayPhase';
import { startSystem } from './relay/system';
import { printReport } from './relay/tables';

async function main(cleanups: Cleanup[]): Promise<void> {
  console.log(
    `relay benchmark: ${PARAMS.events} reservations, then ${PARAMS.catchUpEvents} with the bridge stopped, over ${PARAMS.skus} SKUs, ${PARAMS.concurrency} in flight`,
  );
  const { broker, edge, edgeLogs, bridgeEnv, bridges, bridge, kafka, watcher } = await startSystem(cleanups);

  const { relay, memory } = await runRelay(edge, bridge, watcher);
  const { catchUp, memory: catchUpMemory, bridge: restarted } = await runCatchUp(edge, bridges, bridge.url, watcher, edgeLogs);
  const kafkajs = await rawKafkajs(kafka, PARAMS.events, relay.avgEventBytes);
  const perfTool = await producerPerformance(broker.brokers, kafka, PARAMS.events, relay.avgEventBytes);
  const fromBeginning = await rebuild(restarted, 'beginning');
  const snapshotLag = await awaitSnapshots(restarted);
  const fromSnapshots = await rebuild(restarted, 'snapshots');

  const baselines = { kafkajs, producerPerformance: perfTool };
  printReport({ relay, memory, catchUp, catchUpMemory, kafkajs, perfTool, rebuilds: [fromBeginning, fromSnapshots] });
  writeResult('relay', {
    parameters: { ...PARAMS, bridge: { SAGA: bridgeEnv.SAGA, SNAPSHOTS: bridgeEnv.SNAPSHOTS, SNAPSHOT_EVERY_EVENTS: bridgeEnv.SNAPSHOT_EVERY_EVENTS, ORDERS: 'on (default)' } },
    relay,
    bridgeMemory: memory,
    catchUp,
    catchUpBridgeMemory: catchUpMemory,
    baselines,
    relayRatio: ratiosTo(relay.eventsPerSecond, baselines),
    catchUpRatio: ratiosTo(catchUp.eventsPerSecond, baselines),
    rebuild: { fromBeginning, snapshotsBefore: snapshotLag, fromSnapshots },
  });
}

const cleanups: Cleanup[] = [];
try {
  handleSignals(cleanups);
  await main(cleanups);
} catch (error) {
  console.error('\nrelay benchmark failed:', error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  await stopAll(cleanups);
}
// kafkajs and undici may keep sockets alive for a while; everything of ours is stopped.
process.exit(process.exitCode ?? 0);
