/**
 * Bridge replicas benchmark (issue: the bridge as a group): allocation sagas per second against a
 * SOAP warehouse answering in 50 ms, with 1, 2 and 3 bridge replicas sharing the saga group on
 * one real Kafka broker, measured in one run; and the time from `kill -9` of a partition owner to
 * its partitions' sagas resuming on the others (from the replicas' own `partitions …` logs).
 *
 * Each step is a fresh system (broker, Worker in workerd, WMS simulator): an ingest-only bridge
 * (SAGA=off) relays a backlog of reservations to Kafka first, then N saga replicas start
 * together and work it off. A replica holds at most SAGA_CONCURRENCY commands in flight (its WMS
 * connection budget), so with a 50 ms warehouse a replica's rate is bounded by that budget, and
 * replicas add budget. The group is formed before the backlog reaches Kafka, so its start (joins,
 * rebalances) is not measured; the rate runs from the relay's start until 85% of the sagas are
 * allocated (the kill of the last step comes after that).
 *
 *   npm run bench:bridge-replicas
 *   BENCH_SAGAS=1500 BENCH_SAGA_CONCURRENCY=4 npm run bench:bridge-replicas
 *
 * Everything shares this machine's cores (broker, Worker, WMS, bridges): where the steps stop
 * scaling, the cores are the limit, not the group.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
// @ts-expect-error -- a plain ESM script shared with `npm run kafka:start`
import { startKafka, stopKafka } from '../scripts/kafka.mjs';
import { EVENTS_TOPIC } from '../bridge/eventLog/topics';
import { ownershipSpans } from '../test/e2e/support/ownership';
import { freePort, startBridgeProcess, startWmsProcess, type BridgeProcess } from '../test/e2e/support/processes';
import { pool } from '../test/e2e/support/system';
import { BENCH_ADMIN_KEY, BENCH_BRIDGE_ADMIN_KEY, BENCH_STOREFRONT_KEY, buildWorker, edgeCall, startEdge, type RunningEdge } from './lib/edge';
import { printTable, writeResult } from './lib/report';

const SAGAS = Number(process.env.BENCH_SAGAS ?? 2_400);
const SKUS = Array.from({ length: 24 }, (_, i) => `REPL-${i}`);
const CONCURRENCY = Number(process.env.BENCH_SAGA_CONCURRENCY ?? 4);
const REPLICAS = (process.env.BENCH_REPLICAS ?? '1,2,3').split(',').map(Number);
const WMS_LATENCY_MS = 50;
const WMS_ADMIN_KEY = 'bench-wms-admin';
const SECRET = 'bench-internal-secret';
/** The rate is measured up to this share of the backlog allocated; the kill comes after it. */
const MEASURED_FRACTION = 0.85;

type Step = { replicas: number; sagas: number; seconds: number; sagasPerSecond: number; wholeSeconds: number; failover: Failover | null };
type Failover = { victimPartitions: number[]; resumedAfterMs: number[]; maxResumedAfterMs: number };

async function main(): Promise<void> {
  console.log(`bridge replicas benchmark: ${SAGAS} sagas over ${SKUS.length} SKUs, WMS ${WMS_LATENCY_MS} ms, ${CONCURRENCY} commands in flight per replica, replicas ${REPLICAS.join(', ')}`);
  const script = buildWorker();
  const steps: Step[] = [];
  for (const n of REPLICAS) steps.push(await step(n, script, n === Math.max(...REPLICAS)));
  const base = steps.find((s) => s.replicas === 1)?.sagasPerSecond ?? null;
  printTable(
    `Sagas per second (relay start to ${MEASURED_FRACTION * 100}% of the backlog allocated)`,
    steps.map((s) => ({ replicas: s.replicas, sagas: s.sagas, 'sagas/s': s.sagasPerSecond, 'vs 1 replica': base ? Number((s.sagasPerSecond / base).toFixed(2)) : null, 'whole backlog (s)': s.wholeSeconds })),
  );
  const failover = steps.find((s) => s.failover)?.failover ?? null;
  if (failover) printTable('kill -9 of an owner → its partitions resumed elsewhere', [{ partitions: failover.victimPartitions.join(' '), 'max (ms)': failover.maxResumedAfterMs, each: failover.resumedAfterMs.join(' ') }]);
  writeResult('bridge-replicas', {
    parameters: { sagas: SAGAS, skus: SKUS.length, wmsLatencyMs: WMS_LATENCY_MS, sagaConcurrencyPerReplica: CONCURRENCY, partitions: 12, replicas: REPLICAS },
    steps,
    scaling: base ? Object.fromEntries(steps.map((s) => [s.replicas, Number((s.sagasPerSecond / base).toFixed(2))])) : null,
    targets: { scalingAt3: 2.5, failoverMs: 15_000 },
    failover,
  });
}

/** One step: a fresh system, a relayed backlog, N saga replicas working it off (and a kill, if asked). */
async function step(replicas: number, script: string, kill: boolean): Promise<Step> {
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const dir = await mkdtemp(join(tmpdir(), 'bench-replicas-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const broker = (await startKafka()) as { brokers: string };
    cleanups.push(() => stopKafka(broker));
    const [wmsPort, ingestPort, ...ports] = await Promise.all(Array.from({ length: 2 + replicas }, () => freePort()));
    const wms = await startWmsProcess({ WMS_PORT: String(wmsPort), WMS_ADMIN_KEYS: WMS_ADMIN_KEY, WMS_DATA_DIR: join(dir, 'wms'), WMS_LATENCY_MS: String(WMS_LATENCY_MS) });
    cleanups.push(() => wms.kill('SIGTERM'));
    const edge = await startEdge({ BRIDGE_URL: `http://127.0.0.1:${ingestPort}`, RELAY_MAX_BACKOFF_SECONDS: '1', DEFAULT_TTL_SECONDS: '3600' }, {
      scriptPath: script,
      // The objects retry their pushes while the ingest bridge is held back on purpose: those warnings are the plan, not news.
      handleStructuredLogs: ({ level, message }) => {
        if (level === 'error' || (level === 'warn' && !message.includes('outbox push failed'))) console.error(message);
      },
    });
    cleanups.push(() => edge.close());
    const common = { KAFKA_BROKERS: broker.brokers, INTERNAL_SECRET: SECRET, EDGE_URL: edge.url, BRIDGE_ADMIN_KEYS: BENCH_BRIDGE_ADMIN_KEY, SNAPSHOTS: 'off', ORDERS: 'off', FEED: 'off' };
    // The backlog waits in the objects' outboxes while the saga replicas form their group; the
    // ingest bridge then relays it far faster than sagas are worked off, so the group's start
    // (joins, rebalances) is not part of the measured rate.
    await reserveBacklog(edge);
    const wmsUrl = `http://127.0.0.1:${wmsPort}/wms`;
    const bridges: BridgeProcess[] = await Promise.all(
      ports.map((port) =>
        startBridgeProcess({ ...common, BRIDGE_PORT: String(port), WMS_URL: wmsUrl, SAGA: 'on', SAGA_CONCURRENCY: String(CONCURRENCY), SAGA_RETENTION_SECONDS: '3600', LOG_LEVEL: 'info' }, 120_000),
      ),
    );
    for (const b of bridges) cleanups.push(() => b.kill('SIGTERM'));
    await stableGroup(bridges[0]!, replicas);
    const ingest = await startBridgeProcess({ ...common, BRIDGE_PORT: String(ingestPort!), SAGA: 'off' }, 120_000);
    const started = performance.now();
    cleanups.push(() => ingest.kill('SIGTERM'));
    void relayed(broker.brokers).then((seconds) => console.log(`  backlog relayed to Kafka in ${seconds} s`));
    const { seconds, sagasPerSecond, failover } = await measure(bridges, started, kill);
    const wholeSeconds = Number(((performance.now() - started) / 1000).toFixed(1));
    console.log(`${replicas} replica(s): ${sagasPerSecond} sagas/s, backlog done in ${wholeSeconds} s`);
    return { replicas, sagas: SAGAS, seconds, sagasPerSecond, wholeSeconds, failover };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}

/** Stock, then SAGAS reservations through the Worker (their events wait in the outboxes until a bridge takes them). */
async function reserveBacklog(edge: RunningEdge): Promise<void> {
  for (const sku of SKUS) {
    const { status } = await edgeCall(edge.url, 'PUT', `/v1/admin/skus/${sku}/stock`, BENCH_ADMIN_KEY, { onHand: Math.ceil(SAGAS / SKUS.length) + 10 });
    if (status !== 200) throw new Error(`stock of ${sku}: ${status}`);
  }
  const statuses = await pool(
    Array.from({ length: SAGAS }, (_, i) => () =>
      fetch(`${edge.url}/v1/skus/${SKUS[i % SKUS.length]}/reservations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${BENCH_STOREFRONT_KEY}`, 'content-type': 'application/json', 'idempotency-key': `repl-${i}` },
        body: JSON.stringify({ customerId: `c-${i}`, qty: 1 }),
      }).then(async (r) => (await r.body?.cancel(), r.status)),
    ),
    24,
  );
  if (statuses.some((s) => s !== 201)) throw new Error(`reservations refused: ${statuses.filter((s) => s !== 201).length}`);
}

/** Seconds until every event of the backlog is in Kafka. */
async function relayed(brokers: string): Promise<number> {
  const started = performance.now();
  const admin = new Kafka({ clientId: 'bench-replicas', brokers: [brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    for (let i = 0; ; i++) {
      const events = (await admin.fetchTopicOffsets(EVENTS_TOPIC)).reduce((n, p) => n + Number(p.high), 0);
      if (events >= SAGAS + SKUS.length) return Number(((performance.now() - started) / 1000).toFixed(1));
      if (i > 3000) throw new Error(`only ${events} events relayed`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await admin.disconnect();
  }
}

/** Until the saga group has `size` members holding all 12 partitions. */
async function stableGroup(bridge: BridgeProcess, size: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const res = await fetch(`${bridge.adminUrl}/admin/group`, { headers: { authorization: `Bearer ${BENCH_BRIDGE_ADMIN_KEY}` } }).catch(() => null);
    const group = res?.ok ? ((await res.json()) as { members: { partitions: number[] }[] }) : null;
    if (group?.members.length === size && group.members.flatMap((m) => m.partitions).length === 12) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no stable group of ${size}`);
}

/** Allocated sagas over time, from the group (any replica answers for all); 503 while it rebalances. */
async function allocated(bridges: readonly BridgeProcess[]): Promise<number | null> {
  for (const bridge of bridges) {
    const res = await fetch(`${bridge.adminUrl}/admin/sagas?phase=allocated&limit=1`, { headers: { authorization: `Bearer ${BENCH_BRIDGE_ADMIN_KEY}` }, signal: AbortSignal.timeout(3_000) }).catch(() => null);
    if (res?.ok) return ((await res.json()) as { total: number }).total;
    await res?.body?.cancel();
  }
  return null;
}

async function measure(bridges: BridgeProcess[], started: number, kill: boolean) {
  const samples: { at: number; done: number }[] = [];
  let victim: { process: BridgeProcess; at: number; output: string } | null = null;
  for (;;) {
    const done = await allocated(victim ? bridges.filter((b) => b !== victim!.process) : bridges);
    if (done !== null) samples.push({ at: performance.now(), done });
    if (done !== null && done >= SAGAS) break;
    // Past the measured window: an owner is killed, and the others must take its sagas over.
    if (kill && !victim && done !== null && done >= SAGAS * MEASURED_FRACTION && bridges.length > 1) {
      const process = bridges[1]!;
      victim = { process, at: Date.now(), output: '' };
      await process.kill('SIGKILL');
      victim.output = process.output();
    }
    if (performance.now() - started > 900_000) throw new Error(`only ${done} of ${SAGAS} sagas allocated after 15 minutes`);
    await new Promise((r) => setTimeout(r, 250));
  }
  // From the relay's start to 85% of the backlog allocated: before the kill, and past the ramp
  // where confirmations still queue behind allocations.
  const reached = samples.find((s) => s.done >= SAGAS * MEASURED_FRACTION)!;
  const seconds = (reached.at - started) / 1000;
  const sagasPerSecond = Math.round(reached.done / seconds);
  let failover: Failover | null = null;
  if (victim) {
    // The survivors have claimed the victim's partitions by the time its sagas are all done.
    const now = Date.now();
    const spans = [
      ...ownershipSpans('victim', victim.output, victim.at),
      ...bridges.filter((b) => b !== victim.process).flatMap((b, i) => ownershipSpans(`r${i}`, b.output(), now)),
    ];
    const victimPartitions = spans.filter((s) => s.replica === 'victim' && s.to === victim.at).map((s) => s.partition);
    const resumedAfterMs = victimPartitions.map((p) => Math.min(...spans.filter((s) => s.partition === p && s.replica !== 'victim' && s.from >= victim.at).map((s) => s.from)) - victim.at);
    failover = { victimPartitions, resumedAfterMs, maxResumedAfterMs: Math.max(...resumedAfterMs) };
  }
  return { seconds: Number(seconds.toFixed(1)), sagasPerSecond, failover };
}

await main();
process.exit(0);
