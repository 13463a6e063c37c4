import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseArchiveKey, parseSnapshotKey, SNAPSHOTS_PREFIX } from '../../bridge/archive/keys';
import { LOCAL_S3_CREDENTIALS, startLocalS3, type LocalS3 } from '../../bridge/archive/localS3';
import { S3ObjectStore } from '../../bridge/archive/objectStore';
import { readSnapshot } from '../../bridge/archive/storedSnapshots';
import type { ArchiveReport, SnapshotsTaken } from '../../bridge/archive/wire';
import { decodeSkuEvent } from '../../bridge/consumers/decodeEvent';
import { KafkaEventLog } from '../../bridge/eventLog/kafka';
import { DEFAULT_PARTITIONS } from '../../bridge/eventLog/topicSettings';
import type { ConsumedRecord } from '../../bridge/eventLog/port';
import { EVENTS_TOPIC } from '../../bridge/eventLog/topics';
import type { RebuildStatus } from '../../bridge/projections/rebuild';
import { foldLedger, locationsOf, skuCounters, type SkuEvent, type SkuLedger } from '../../src/domain/sku';
// @ts-expect-error -- a plain ESM script shared with `npm run kafka:start`
import { startKafka, stopKafka } from '../../scripts/kafka.mjs';
import { runCli } from './support/cli';
import { BRIDGE_ADMIN_KEY, freePort, startBridgeProcess, type BridgeProcess } from './support/processes';
import { objectLog, pool, waitFor } from './support/system';
import { ADMIN_KEY, startWorker } from './support/worker';
import { bridgeAdminCaller, edgeCaller } from './support/json';

/**
 * The archive in object storage (issue 27, ADR 0025) end to end: the Worker in workerd relays to
 * one bridge on a real Kafka broker, whose archiver writes Parquet and snapshots to a local S3
 * server (s3rver, in this process). A small sale at two locations; then the real `inventory audit`
 * CLI must give the objects' counters per location and their logs event for event (and so must
 * the events topic), and a rebuild of the read model from the archive must skip a damaged
 * snapshot for the one before it and still end equal to the objects.
 */
type Broker = { brokers: string };

const secret = randomBytes(32).toString('hex');
const BUCKET = 'e2e-archive';
const SKUS = ['ARC-0', 'ARC-1', 'ARC-2'];
/** Two sites per SKU: buyers from `nl` are sourced to AMS-1, from `de` to FRA-1 (their regions). */
const SITES = [
  { location: 'AMS-1', region: 'nl', priority: 0, onHand: 80 },
  { location: 'FRA-1', region: 'de', priority: 1, onHand: 70 },
] as const;

let broker: Broker;
let s3: LocalS3;
let store: S3ObjectStore;
let worker: Awaited<ReturnType<typeof startWorker>>;
let bridge: BridgeProcess;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'archive-e2e-'));
  broker = await startKafka();
  s3 = await startLocalS3({ directory: join(dir, 's3') });
  store = new S3ObjectStore({ endpoint: s3.endpoint, bucket: BUCKET, region: 'auto', ...LOCAL_S3_CREDENTIALS });
  const bridgePort = await freePort();
  worker = await startWorker({ BRIDGE_URL: `http://127.0.0.1:${bridgePort}`, INTERNAL_SECRET: secret, RELAY_MAX_BACKOFF_SECONDS: '1' });
  bridge = await startBridgeProcess(
    {
      BRIDGE_PORT: String(bridgePort),
      KAFKA_BROKERS: broker.brokers,
      INTERNAL_SECRET: secret,
      EDGE_URL: worker.url,
      BRIDGE_ADMIN_KEYS: BRIDGE_ADMIN_KEY,
      // Only the edge's own events: no saga, no warehouse feed; nor the parts this file is not about.
      SAGA: 'off',
      FEED: 'off',
      SNAPSHOTS: 'off',
      ORDERS: 'off',
      ARCHIVE: 'on',
      ARCHIVE_S3_ENDPOINT: s3.endpoint,
      ARCHIVE_S3_BUCKET: BUCKET,
      ARCHIVE_FLUSH_MS: '500',
      // Snapshots on demand only (`inventory archive snapshot`), so the test knows which exist.
      ARCHIVE_SNAPSHOT_EVERY_MS: '0',
    },
    120_000,
  );
});

afterAll(async () => {
  await bridge?.kill('SIGTERM');
  await worker?.close();
  store?.destroy();
  await s3?.close();
  if (broker) await stopKafka(broker);
  if (dir) await rm(dir, { recursive: true, force: true });
});

const edge = edgeCaller(() => worker.url);

const bridgeAdmin = bridgeAdminCaller(() => bridge.adminUrl);

const auditEnv = () => ({ ARCHIVE_S3_ENDPOINT: s3.endpoint, ARCHIVE_S3_BUCKET: BUCKET });
const bridgeEnv = () => ({ BRIDGE_ADMIN_URL: bridge.adminUrl, BRIDGE_ADMIN_KEY });

/** `inventory audit …` as JSON rows; exit 0 and parseable output, or the CLI's own words. */
async function audit(args: string[]): Promise<Record<string, unknown>[]> {
  const result = await runCli(['audit', ...args, '--format', 'json', '--cache', join(dir, 'audit-cache')], auditEnv());
  expect(result.code, `inventory audit ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return JSON.parse(result.stdout) as Record<string, unknown>[];
}

const fold = async (sku: string): Promise<{ log: SkuEvent[]; ledger: SkuLedger }> => {
  const log = await objectLog(worker.env.SKU, sku);
  return { log, ledger: foldLedger(log) };
};

/**
 * Reservations round-robin over the SKUs and both regions, each with its fate: completed,
 * cancelled, left to expire (a 1 s TTL) or left held (an hour). Answers the ids left to expire.
 */
type Fate = 'complete' | 'cancel' | 'expire' | 'hold';
let n = 0;
async function sale(fates: readonly Fate[]): Promise<Set<string>> {
  const expiring = new Set<string>();
  const results = await pool(
    fates.map((fate) => async () => {
      const i = n++;
      const sku = SKUS[i % SKUS.length]!;
      const customerId = `arc-${i}`;
      const region = SITES[Math.floor(i / SKUS.length) % SITES.length]!.region;
      const reserved = await edge(`/v1/skus/${sku}/reservations`, 'POST', { customerId, qty: 1 + (i % 2), region, ttlSeconds: fate === 'expire' ? 1 : 3600 }, { 'idempotency-key': customerId });
      if (reserved.status !== 201) return `reserve ${customerId} on ${sku}: ${reserved.status} ${JSON.stringify(reserved.json)}`;
      const id = reserved.json.reservationId as string;
      if (fate === 'expire') expiring.add(id);
      const after =
        fate === 'complete'
          ? await edge(`/v1/skus/${sku}/reservations/${id}/complete`, 'POST', { customerId })
          : fate === 'cancel'
            ? await edge(`/v1/skus/${sku}/reservations/${id}`, 'DELETE', undefined, { 'x-customer-id': customerId })
            : null;
      return after && after.status !== 200 ? `${fate} ${id} on ${sku}: ${after.status} ${JSON.stringify(after.json)}` : null;
    }),
    8,
  );
  expect(results.filter((r) => r !== null)).toEqual([]);
  return expiring;
}

/** Every short-TTL reservation expired at its object, every outbox relayed, and the archive holds every event. */
async function settle(expiring: ReadonlySet<string>): Promise<number> {
  await waitFor('the short reservations to expire', async () => {
    const ledgers = await Promise.all(SKUS.map(async (sku) => (await fold(sku)).ledger));
    return [...expiring].every((id) => ledgers.some((l) => l.reservations.get(id)?.releaseReason === 'expired'));
  }, 60_000);
  await waitFor('every outbox relayed to the bridge', async () => {
    const statuses = await Promise.all(SKUS.map((sku) => worker.env.SKU.getByName(sku).relayStatus(sku)));
    return statuses.every((s) => s.ok && s.value.pending === 0);
  });
  const total = (await Promise.all(SKUS.map((sku) => objectLog(worker.env.SKU, sku)))).reduce((sum, log) => sum + log.length, 0);
  let report: ArchiveReport | undefined;
  await waitFor(`the archive to hold all ${total} events`, async () => {
    report = (await bridgeAdmin('/archive')).json as ArchiveReport;
    return report.status !== null && report.status.pendingEvents === 0 && report.status.eventsArchived >= total;
  }, 120_000, 250).catch((error: Error) => {
    throw new Error(`${error.message}; last archive status: ${JSON.stringify(report?.status)}`);
  });
  return total;
}

/** `inventory --json archive snapshot`: exit 0, every replica asked, the keys written. */
async function snapshotNow(): Promise<string[]> {
  const result = await runCli(['--json', 'archive', 'snapshot'], bridgeEnv());
  expect(result.code, `inventory archive snapshot: ${result.stderr}`).toBe(0);
  const taken = JSON.parse(result.stdout) as SnapshotsTaken;
  expect(taken.unreachable).toEqual([]);
  return taken.taken.flatMap((t) => t.keys).sort();
}

async function listKeys(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const { key } of store.list(prefix)) keys.push(key);
  return keys;
}

describe('the archive in object storage, against the objects and Kafka', () => {
  let firstTotal = 0;

  it('a sale at two locations is archived whole: every stream in files covering versions 1..n once', async () => {
    for (const sku of SKUS) {
      for (const { location, region, priority, onHand } of SITES) {
        const set = await edge(`/v1/admin/skus/${sku}/stock`, 'PUT', { onHand, location, region, priority }, {}, ADMIN_KEY);
        expect(set.status, `stock of ${sku} at ${location}: ${JSON.stringify(set.json)}`).toBe(200);
      }
    }
    // 150 reservations: 60 purchases, 45 cancels, 15 expiries, 30 still held.
    const fates = Array.from({ length: 150 }, (_, i): Fate => (['complete', 'cancel', 'complete', 'hold', 'cancel', 'complete', 'expire', 'complete', 'cancel', 'hold'] as const)[i % 10]!);
    const expiring = await sale(fates);
    expect(expiring.size).toBe(15);
    firstTotal = await settle(expiring);

    for (const sku of SKUS) {
      const { log, ledger } = await fold(sku);
      const locations = locationsOf(ledger.state);
      // Both sites took reservations, and every kind of ending happened at this SKU.
      expect(locations.map((l) => l.location)).toEqual(['AMS-1', 'FRA-1']);
      for (const l of locations) expect(l.reserved + l.sold, `${sku} at ${l.location}`).toBeGreaterThan(0);
      expect(new Set(log.map((e) => e.type))).toEqual(new Set(['StockSet', 'StockReserved', 'ReservationCompleted', 'StockReleased']));
      const reasons = new Set(log.flatMap((e) => (e.type === 'StockReleased' ? [e.data.reason] : [])));
      expect(reasons, `${sku}: why units came back`).toEqual(new Set(['cancelled', 'expired']));
      // The fold of the log is the object's own view of itself.
      const primary = await edge(`/v1/skus/${sku}?consistent=true`);
      expect(primary.json, `${sku}: the fold of its log vs its object`).toEqual({ ...skuCounters(ledger.state), source: 'primary' });

      // Never twice, never a hole: the keys name the versions they cover.
      const files = (await listKeys(`events/`)).map(parseArchiveKey).filter((f) => f !== null && f.sku === sku).sort((a, b) => a!.from - b!.from);
      expect(files.length, `${sku}: archive files`).toBeGreaterThan(0);
      expect(new Set(files.map((f) => f!.stream)), `${sku}: one stream (not sharded)`).toEqual(new Set([sku]));
      const ranges = files.map((f) => [f!.from, f!.to]);
      const contiguous = ranges.map((_, i) => [i === 0 ? 1 : ranges[i - 1]![1]! + 1, i === ranges.length - 1 ? log.length : ranges[i + 1]![0]! - 1]);
      expect(ranges, `${sku}: the archive files' version ranges`).toEqual(contiguous);
    }
  });

  it('`inventory audit totals` equals each object\'s counters per location, and counts every event of its log', async () => {
    const rows = await audit(['totals']);
    const expected: Record<string, unknown>[] = [];
    for (const sku of SKUS) {
      const { log, ledger } = await fold(sku);
      for (const l of locationsOf(ledger.state)) {
        expected.push({ sku, location: l.location, on_hand: l.onHand, reserved: l.reserved, sold: l.sold, lent: 0, last_versions: `${sku}:${log.length}` });
      }
      // Every event of this sale moved exactly one location: the events per location add up to the log.
      const counted = rows.filter((r) => r.sku === sku).reduce((sum, r) => sum + (r.events as number), 0);
      expect(counted, `${sku}: events the audit counted vs the object's log`).toBe(log.length);
    }
    const shown = rows.map(({ sku, location, on_hand, reserved, sold, lent, last_versions }) => ({ sku, location, on_hand, reserved, sold, lent, last_versions }));
    expect(shown).toEqual(expected);
  });

  it('the events topic, `inventory audit events` and each object\'s log hold the same events, version for version', async () => {
    const kafka = new KafkaEventLog({ brokers: [broker.brokers], clientId: 'e2e-archive-reader', replicationFactor: -1, partitions: DEFAULT_PARTITIONS, logger: pino({ level: 'silent' }) });
    let records: ConsumedRecord[];
    try {
      records = await kafka.readAll(EVENTS_TOPIC);
    } finally {
      await kafka.close();
    }
    records.sort((a, b) => a.partition - b.partition || (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1));
    // SKU → version → the event as the topic first holds it.
    const byVersion = new Map<string, Map<number, SkuEvent>>(SKUS.map((sku) => [sku, new Map()]));
    let repeats = 0;
    for (const record of records) {
      const event = decodeSkuEvent(record);
      expect(event, `an undecodable record at ${record.partition}/${record.offset}`).not.toBeNull();
      const seen = byVersion.get(event!.sku);
      expect(seen, `an event of an unknown SKU ${event!.sku}`).toBeDefined();
      const first = seen!.get(event!.version);
      // The relay delivers at least once: a repeat must be the very same event, never another one.
      if (first) {
        repeats++;
        expect(event, `${event!.sku} v${event!.version} repeated differently at ${record.partition}/${record.offset}`).toEqual(first);
      } else seen!.set(event!.version, event!);
    }
    console.info(`events topic: ${records.length} records, ${repeats} repeated by the relay`);
    const topic = new Map(SKUS.map((sku) => [sku, [...byVersion.get(sku)!.values()].sort((a, b) => a.version - b.version)]));

    for (const sku of SKUS) {
      const { log } = await fold(sku);
      const key = (e: SkuEvent) => ({ version: e.version, type: e.type, reservation: 'reservationId' in e.data ? e.data.reservationId : null, at: Date.parse(e.at) });
      const archived = (await audit(['events', '--sku', sku]))
        .map((r) => ({ version: r.version as number, type: r.type, reservation: r.reservation_id, at: Date.parse(r.occurred_at as string) }))
        .sort((a, b) => a.version - b.version);
      expect(topic.get(sku), `${sku}: the events topic vs the object's log`).toEqual(log);
      expect(archived, `${sku}: \`inventory audit events\` vs the object's log`).toEqual(log.map(key));
    }
  });

  it('a rebuild from the archive skips a damaged snapshot for the one before it, and the read model equals the objects', async () => {
    const first = await snapshotNow();
    expect(first.length, 'the first snapshot: a key per partition holding events').toBeGreaterThan(0);
    const firstStates = new Map((await Promise.all(first.map((key) => readSnapshot(store, key)))).flatMap((s) => s.states.map((state) => [state.sku!, state.version] as const)));
    expect(new Map(await Promise.all(SKUS.map(async (sku) => [sku, (await objectLog(worker.env.SKU, sku)).length] as const))), 'the first snapshot holds each SKU as archived').toEqual(firstStates);

    // More of the sale, archived, then a second snapshot: the newest of every partition.
    const expiring = await sale(Array.from({ length: 60 }, (_, i): Fate => (['complete', 'cancel', 'expire', 'hold'] as const)[i % 4]!));
    const total = await settle(expiring);
    expect(total).toBeGreaterThan(firstTotal);
    const second = await snapshotNow();
    expect(second.length).toBe(first.length);
    const allSnapshots = await listKeys(SNAPSHOTS_PREFIX);
    for (const key of second) {
      expect(first, `${key}: a new snapshot, later than the first`).not.toContain(key);
      const { partitions, partition } = parseSnapshotKey(key)!;
      const ofPartition = allSnapshots.filter((k) => parseSnapshotKey(k)?.partition === partition && parseSnapshotKey(k)?.partitions === partitions).sort();
      expect(ofPartition.at(-1), `the newest snapshot of partition ${partition}`).toBe(key);
      expect(ofPartition).toHaveLength(2);
    }

    // Damage each newest snapshot in place: one byte flipped, its metadata (the SHA-256 of the sound bytes) kept.
    for (const key of second) {
      const stored = (await store.get(key))!;
      const body = Uint8Array.from(stored.body);
      body[body.length >> 1]! ^= 0xff;
      await store.put(key, body, stored.metadata);
      expect((await store.get(key))!.metadata, `${key}: metadata kept`).toEqual(stored.metadata);
      await expect(readSnapshot(store, key), `${key}: damaged`).rejects.toThrow(/checksum mismatch/);
    }

    const started = await bridgeAdmin('/projections/rebuild', 'POST', { from: 'archive', graceSeconds: 5 });
    expect(started.status, JSON.stringify(started.json)).toBe(202);
    let status = started.json as RebuildStatus;
    await waitFor('the rebuild from the archive to switch', async () => {
      status = (await bridgeAdmin('/projections')).json.rebuild as RebuildStatus;
      if (status.id === started.json.id && status.state === 'failed') throw new Error(`the rebuild from the archive failed: ${status.error}`);
      return status.id === started.json.id && status.state === 'switched';
    }, 120_000, 200);

    const logs = new Map(await Promise.all(SKUS.map(async (sku) => [sku, await fold(sku)] as const)));
    // The states of the first snapshot, then every archived event after them: nothing of the damaged one.
    const afterFirst = SKUS.reduce((sum, sku) => sum + logs.get(sku)!.log.length - firstStates.get(sku)!, 0);
    expect(status).toMatchObject({ state: 'switched', phase: 'done', from: 'archive', snapshotSkus: SKUS.length, replayed: afterFirst, failedSkuCount: 0 });
    const warnings = bridge.output().split('\n').filter((line) => line.includes('corrupt snapshot skipped'));
    for (const key of second) expect(warnings.filter((line) => line.includes(key)), `the bridge's warning that it skipped ${key}; its output:\n${bridge.output().slice(-3000)}`).toHaveLength(1);
    expect((await bridgeAdmin('/projections')).json.generations).toMatchObject({ active: status.generation });

    const views = async () => Promise.all(SKUS.map(async (sku) => (await edge(`/v1/skus/${sku}`)).json));
    const objects = SKUS.map((sku) => ({ ...skuCounters(logs.get(sku)!.ledger.state), source: 'projection' }));
    await waitFor('the new generation to answer every SKU as its object', async () => JSON.stringify(await views()) === JSON.stringify(objects), 30_000).catch(() => undefined);
    expect(await views(), 'the read model after the rebuild vs the objects').toEqual(objects);
    for (const sku of SKUS) {
      const primary = await edge(`/v1/skus/${sku}?consistent=true`);
      expect(primary.json, `${sku}: its object still as its log folds`).toEqual({ ...skuCounters(logs.get(sku)!.ledger.state), source: 'primary' });
    }
  });
});
