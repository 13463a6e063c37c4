import pLimit from 'p-limit';
// @ts-expect-error -- a plain ESM script shared with `npm run kafka:start`
import { startKafka, stopKafka } from '../../scripts/kafka.mjs';
import { pushBatch } from '../../durable-objects/relay/push';
import { ReplicaChoice } from '../../durable-objects/relay/replicas';
import { MAX_RELAY_BATCH } from '../../src/contract/relayBatch';
import { contextFor, decide, emptyLedger, record, type SkuCommand, type SkuEvent } from '../../src/domain/sku';
import { freePort, startBridgeProcess } from '../../test/e2e/support/processes';
import { intEnv } from '../lib/params';
import { printTable, writeResult } from '../lib/report';
import { round } from '../relay/figures';
import { rssMiB } from '../relay/rss';

const SECRET = 'bench-internal-secret';
const EVENTS = intEnv('BENCH_HISTORY_RELAY_EVENTS', 1_000_000);
const SKUS = intEnv('BENCH_HISTORY_RELAY_SKUS', 1_000);
const IN_FLIGHT = 16;
const SAMPLE_EVERY = EVENTS / 10;

/**
 * The bridge's V8 heap beside its resident set, from its own /metrics (prom-client's defaults):
 * what the heap holds, live or not yet collected (`used`), and what V8 has taken for it (`total`).
 */
async function heapMiB(adminUrl: string): Promise<{ heapUsedMiB: number; heapTotalMiB: number }> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const gauge = (name: string) => round(Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN) / 2 ** 20);
  return { heapUsedMiB: gauge('nodejs_heap_size_used_bytes'), heapTotalMiB: gauge('nodejs_heap_size_total_bytes') };
}

/** One SKU's log as its object would write it: a sale of reservations, half completed, a fifth cancelled. */
function saleLog(sku: string, events: number): SkuEvent[] {
  const ledger = emptyLedger();
  const log: SkuEvent[] = [];
  const run = (command: SkuCommand, now: number) => {
    const decision = decide(command, contextFor(ledger, command), now);
    if (decision.ok) {
      for (const e of decision.value) {
        log.push(e);
        record(ledger, e);
      }
    }
  };
  run({ type: 'SetStock', data: { sku, onHand: 10_000_000, limitPerCustomer: 2 } }, Date.now());
  for (let i = 0; log.length < events; i++) {
    const customerId = `${sku}-buyer-${i}`;
    const data = { reservationId: `res_${sku}_${i}`, customerId };
    run({ type: 'Reserve', data: { ...data, sku, qty: 1, ttlSeconds: 300 } }, Date.now());
    if (i % 10 < 5) run({ type: 'CompletePurchase', data }, Date.now());
    else if (i % 10 < 7) run({ type: 'CancelReservation', data }, Date.now());
  }
  return log.slice(0, events);
}

/**
 * The bridge's memory over a long relay: `EVENTS` SKU events pushed through its signed /ingest
 * (as the objects' outboxes push them, 500 a batch) into a real Kafka broker, with its
 * snapshotter and order view consuming them. Resident memory is read every 10% of the way.
 */
export async function measureBridgeRelay() {
  const broker = await startKafka();
  const port = await freePort();
  let bridge: Awaited<ReturnType<typeof startBridgeProcess>> | null = null;
  try {
    bridge = await startBridgeProcess({ BRIDGE_PORT: String(port), KAFKA_BROKERS: broker.brokers, INTERNAL_SECRET: SECRET, EDGE_URL: 'http://127.0.0.1:9', SAGA: 'off', FEED: 'off' });
    const { pid, url } = bridge;
    const target = { replicas: new ReplicaChoice([url], 'bench'), secret: SECRET };
    const perSku = Math.ceil(EVENTS / SKUS);
    // The resident set is read first: scraping the heap figures allocates in the bridge.
    // /metrics is on the admin listener.
    const sample = async (events: number) => ({ events, rssMiB: round(rssMiB(pid)), ...(await heapMiB(bridge!.adminUrl)) });
    const samples = [await sample(0)];
    let pushed = 0;
    let nextSample = SAMPLE_EVERY;
    const limit = pLimit(IN_FLIGHT);
    const started = performance.now();
    await Promise.all(
      Array.from({ length: SKUS }, (_, s) =>
        limit(async () => {
          const log = saleLog(`RELAY-${String(s).padStart(4, '0')}`, perSku);
          for (let i = 0; i < log.length; i += MAX_RELAY_BATCH) {
            const batch = log.slice(i, i + MAX_RELAY_BATCH);
            const result = await pushBatch(target, { sku: batch[0]!.sku, events: batch }, Date.now());
            if (!result.ok) throw new Error(result.error);
            pushed += batch.length;
            if (pushed >= nextSample) {
              nextSample += SAMPLE_EVERY;
              samples.push(await sample(pushed));
            }
          }
        }),
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    const afterFirst = samples.filter((s) => s.events >= SAMPLE_EVERY);
    return {
      events: pushed,
      skus: SKUS,
      seconds: round(seconds, 1),
      eventsPerSecond: round(pushed / seconds),
      samples,
      rssMaxMiB: round(Math.max(...samples.map((s) => s.rssMiB))),
      // Flat: what the rest of the relay added to what the first 10% left resident.
      rssGrowthAfterFirstTenthMiB: round(Math.max(...afterFirst.map((s) => s.rssMiB)) - afterFirst[0]!.rssMiB),
    };
  } finally {
    await bridge?.kill('SIGTERM');
    await stopKafka(broker);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(`bridge memory: ${EVENTS.toLocaleString('en-US')} events over ${SKUS} SKUs through /ingest into Kafka, ${IN_FLIGHT} pushes in flight`);
  const result = await measureBridgeRelay();
  printTable('Bridge memory during the relay', result.samples.map((s) => ({ 'events relayed': s.events, 'RSS MiB': s.rssMiB, 'heap used MiB': s.heapUsedMiB, 'heap total MiB': s.heapTotalMiB })));
  printTable('Bridge relay', [{ events: result.events, seconds: result.seconds, 'events/s': result.eventsPerSecond, 'RSS max MiB': result.rssMaxMiB, 'growth after the first 10% MiB': result.rssGrowthAfterFirstTenthMiB }]);
  writeResult('bridge-memory', result);
}
