/**
 * Replay benchmark (issue 27): a read model rebuilt from the events topic's offset zero against
 * one rebuilt from object storage (each partition's newest snapshot, the archive after it, the log
 * after what the archive covers), over the same history, in one run, and the two results compared
 * state by state.
 *
 *   npm run bench:replay
 *   BENCH_REPLAY_EVENTS=100000 BENCH_REPLAY_SKUS=100 npm run bench:replay
 *
 * The history is decided by the domain (bench/replay/history.ts) and appended to a real Kafka
 * broker (12 partitions) as the relay appends it; the archiver (the bridge's own component) reads
 * it into Parquet files in a real S3 API server (s3rver) and snapshots the states when
 * BENCH_REPLAY_SNAPSHOT_AT_PERCENT of it is in; the rest is archived after the snapshot. Both
 * replays fold with SkuStates, the fold every rebuild uses. Everything runs on this machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Kafka, logLevel as kafkaLogLevel } from 'kafkajs';
import { pino } from 'pino';
import { startArchiver } from '../bridge/archive/archiver';
import { LOCAL_S3_CREDENTIALS, startLocalS3 } from '../bridge/archive/localS3';
import { S3ObjectStore } from '../bridge/archive/objectStore';
import type { EdgeClient } from '../bridge/edge/client';
import { KafkaEventLog } from '../bridge/eventLog/kafka';
import type { EventLog } from '../bridge/eventLog/port';
import { EVENTS_TOPIC, TOPICS } from '../bridge/eventLog/topics';
import { bootstrapFromArchive } from '../bridge/projections/bootstrap';
import { SkuStates } from '../bridge/projections/skuStates';
// @ts-expect-error -- a plain ESM script shared with `npm run kafka:start`
import { startKafka, stopKafka } from '../scripts/kafka.mjs';
import { intEnv } from './lib/params';
import { printTable, writeResult } from './lib/report';
import { generateHistory, interleave } from './replay/history';
import { foldLog } from './replay/fold';

const EVENTS = intEnv('BENCH_REPLAY_EVENTS', 1_000_000);
const SKUS = intEnv('BENCH_REPLAY_SKUS', 1_000);
// The newest snapshot is this far into the history: 99 is a snapshot minutes old at the end of a long history (snapshots every ARCHIVE_SNAPSHOT_EVERY_MS).
const SNAPSHOT_AT_PERCENT = intEnv('BENCH_REPLAY_SNAPSHOT_AT_PERCENT', 99);
const PARTITIONS = 12;
// kafkajs logs a transactional producer's first coordinator lookups as errors; they are retried and harmless here.
const logger = pino({ level: process.env.LOG_LEVEL ?? 'fatal' });
/** Nothing in this history has a hole: the edge is never asked. */
const noEdge = { eventsBetween: () => Promise.reject(new Error('a hole in the benchmark history')) } as unknown as EdgeClient;

const seconds = (ms: number) => Math.round(ms) / 1000;
const timed = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
  const started = performance.now();
  const result = await work();
  return [result, performance.now() - started];
};

async function until(what: string, check: () => boolean, ms = 1_800_000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function main() {
  console.log(`replay benchmark: ${EVENTS.toLocaleString('en-US')} events over ${SKUS} SKUs, ${PARTITIONS} partitions, snapshot at ${SNAPSHOT_AT_PERCENT}%`);
  const broker = (await startKafka()) as { brokers: string };
  const dir = mkdtempSync(join(tmpdir(), 'bench-replay-'));
  const s3 = await startLocalS3({ directory: join(dir, 'objects') });
  const log = new KafkaEventLog({ brokers: [broker.brokers], clientId: 'bench-replay', replicationFactor: 1, partitions: PARTITIONS, logger });
  try {
    await log.ensureTopics(TOPICS);
    const store = new S3ObjectStore({ endpoint: s3.endpoint, bucket: 'bench-replay', region: 'auto', ...LOCAL_S3_CREDENTIALS });
    await store.ensureBucket();

    const [logs, generateMs] = await timed(async () => generateHistory(EVENTS, SKUS));
    const batches = [...interleave(logs)];
    const splitAt = Math.floor((batches.length * SNAPSHOT_AT_PERCENT) / 100);
    const append = async (part: typeof batches) => {
      for (const batch of part) await log.append(EVENTS_TOPIC, batch.map((e) => ({ key: e.sku, value: JSON.stringify(e) })));
    };
    const count = (part: typeof batches) => part.reduce((n, b) => n + b.length, 0);
    const [, appendMs] = await timed(() => append(batches.slice(0, splitAt)));
    console.log(`generated in ${seconds(generateMs)} s; ${count(batches.slice(0, splitAt)).toLocaleString('en-US')} events appended in ${seconds(appendMs)} s`);

    const archiver = await startArchiver({ log, edge: noEdge, store, logger, endpoint: 'http://127.0.0.1:1', flushEvents: 50_000, flushMs: 2_000, snapshotEveryMs: 0 });
    const [, archiveFirstMs] = await timed(() => until('the first part archived', () => archiver.status().eventsArchived >= count(batches.slice(0, splitAt)) && archiver.status().pendingEvents === 0));
    const [snapshotKeys, snapshotMs] = await timed(() => archiver.snapshotNow());
    await append(batches.slice(splitAt));
    const [, archiveRestMs] = await timed(() => until('the rest archived', () => archiver.status().eventsArchived >= EVENTS && archiver.status().pendingEvents === 0));
    const archiveStatus = archiver.status();
    await archiver.stop();
    console.log(`archived ${archiveStatus.eventsArchived.toLocaleString('en-US')} events in ${archiveStatus.filesWritten} files (${(archiveStatus.bytesWritten / 2 ** 20).toFixed(1)} MiB); ${snapshotKeys.length} partition snapshots in ${seconds(snapshotMs)} s`);

    const zero = new SkuStates(noEdge);
    const [zeroRead, zeroMs] = await timed(() => foldLog(log, zero));
    // A rebuild from the bucket, timed with what it reads of the log after it.
    const fromBucket = async (source: EventLog) => {
      const states = new SkuStates(noEdge);
      const [{ booted, tailRead, tailMs }, ms] = await timed(async () => {
        const booted = await bootstrapFromArchive({ store, log: source, logger }, states);
        const [tailRead, tailMs] = await timed(() => foldLog(source, states, booted.startAt));
        return { booted, tailRead, tailMs };
      });
      console.log(`  snapshots and markers ${booted.ms.snapshots} ms, listing the archive ${booted.ms.list} ms, reading ${booted.archiveFiles} files ${booted.ms.archive} ms, the log after them ${Math.round(tailMs)} ms`);
      return { states, booted, tailRead, ms };
    };
    console.log('from snapshots + archive, the log holding everything after the snapshot:');
    const held = await fromBucket(log);
    // Kafka's retention lets every event so far go (deleteRecords to the end): the archive is then the only source after the snapshots.
    const admin = new Kafka({ clientId: 'bench-replay-admin', brokers: [broker.brokers], logLevel: kafkaLogLevel.NOTHING }).admin();
    await admin.connect();
    await admin.fetchTopicMetadata({ topics: [EVENTS_TOPIC] });
    await admin.deleteTopicRecords({ topic: EVENTS_TOPIC, partitions: [...(await log.endOffsets(EVENTS_TOPIC))].map(([partition, offset]) => ({ partition, offset })) });
    await admin.disconnect();
    console.log('from snapshots + archive, the log emptied by retention:');
    const bounded = await fromBucket(log);
    const archived = held.states;
    const booted = held.booted;
    const tailRead = held.tailRead;
    const archiveMs = held.ms;
    const differ = (other: SkuStates) => [...new Set([...zero.skus(), ...other.skus()])].filter((sku) => !isDeepStrictEqual(zero.get(sku), other.get(sku)));
    const differing = [...differ(archived), ...differ(bounded.states)];
    const rows = [
      { replay: 'from offset zero', seconds: seconds(zeroMs), 'log records': zeroRead, 'snapshot SKUs': 0, 'archive events': 0, 'events/s': Math.round((zeroRead / zeroMs) * 1000) },
      { replay: 'from snapshots + archive', seconds: seconds(archiveMs), 'log records': tailRead, 'snapshot SKUs': booted.snapshotSkus, 'archive events': booted.archiveEvents, 'events/s': Math.round((EVENTS / archiveMs) * 1000) },
      { replay: '… log emptied by retention', seconds: seconds(bounded.ms), 'log records': bounded.tailRead, 'snapshot SKUs': bounded.booted.snapshotSkus, 'archive events': bounded.booted.archiveEvents, 'events/s': Math.round((EVENTS / bounded.ms) * 1000) },
    ];
    printTable(`read model rebuilt, ${EVENTS.toLocaleString('en-US')} events over ${SKUS} SKUs`, rows);
    const speedup = zeroMs / archiveMs;
    const boundedSpeedup = zeroMs / bounded.ms;
    console.log(`\nfrom snapshots + archive: ${speedup.toFixed(1)}x faster (${boundedSpeedup.toFixed(1)}x with the log emptied by retention); states compared: ${zero.size} SKUs twice, ${differing.length} differ${differing.length ? ` (${differing.slice(0, 5).join(', ')})` : ''}`);
    writeResult('replay', {
      parameters: { events: EVENTS, skus: SKUS, partitions: PARTITIONS, snapshotAtPercent: SNAPSHOT_AT_PERCENT, archiveFlushEvents: 50_000 },
      setup: { generateSeconds: seconds(generateMs), appendSeconds: seconds(appendMs), archiveFirstPartSeconds: seconds(archiveFirstMs), archiveRestSeconds: seconds(archiveRestMs), archive: archiveStatus },
      fromZero: { seconds: seconds(zeroMs), logRecords: zeroRead },
      fromArchive: { seconds: seconds(archiveMs), phasesMs: booted.ms, logRecords: tailRead, snapshotSkus: booted.snapshotSkus, archiveFiles: booted.archiveFiles, archiveEvents: booted.archiveEvents, skippedSnapshots: booted.skipped.length },
      fromArchiveLogEmptied: { seconds: seconds(bounded.ms), phasesMs: bounded.booted.ms, logRecords: bounded.tailRead, snapshotSkus: bounded.booted.snapshotSkus, archiveFiles: bounded.booted.archiveFiles, archiveEvents: bounded.booted.archiveEvents },
      speedup: Number(speedup.toFixed(2)),
      speedupLogEmptied: Number(boundedSpeedup.toFixed(2)),
      statesCompared: zero.size,
      statesDiffering: differing.length,
      goal: { speedupAtLeast: 10, met: speedup >= 10 && differing.length === 0 && zero.size === SKUS },
    });
    if (differing.length > 0 || zero.size !== SKUS) process.exitCode = 1;
  } finally {
    await log.close();
    await s3.close();
    await stopKafka(broker);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
