import { mkdtempSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startArchiver, type Archiver } from '../../bridge/archive/archiver';
import { ARCHIVE_PREFIX, coveredKey, parseArchiveKey } from '../../bridge/archive/keys';
import { LOCAL_S3_CREDENTIALS, startLocalS3, type LocalS3 } from '../../bridge/archive/localS3';
import { S3ObjectStore, type ObjectStore } from '../../bridge/archive/objectStore';
import { ParquetCodec } from '../../bridge/archive/parquet';
import { latestSnapshots, readSnapshot } from '../../bridge/archive/storedSnapshots';
import type { EdgeClient } from '../../bridge/edge/client';
import type { EventLog, PartitionOwner } from '../../bridge/eventLog/port';
import { EVENTS_TOPIC } from '../../bridge/eventLog/topics';
import { bootstrapFromArchive } from '../../bridge/projections/bootstrap';
import { SkuStates } from '../../bridge/projections/skuStates';
import { locationsOf, type SkuEvent } from '../../src/domain/sku';
import { saleEvents } from '../support/saleEvents';
import { embeddedLogForFile } from './support/embeddedLog';

/**
 * The archiver against a real S3 API server (s3rver) and the embedded log: every event lands in
 * exactly one Parquet file, in version order, whatever crashes between writing and committing.
 */
const log = embeddedLogForFile('archiver-');
const logger = pino({ level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'archiver-s3-'));
let s3: LocalS3;
let bucket = 0;
const freshStore = async () => {
  const store = new S3ObjectStore({ endpoint: s3.endpoint, bucket: `archive-${++bucket}`, region: 'auto', ...LOCAL_S3_CREDENTIALS });
  await store.ensureBucket();
  return store;
};
beforeAll(async () => {
  s3 = await startLocalS3({ directory: dir });
});
afterAll(async () => {
  await s3.close();
  await rm(dir, { recursive: true, force: true });
});

/** The edge is asked only for a hole in the log; these logs have none. */
const noEdge = { eventsBetween: () => Promise.reject(new Error('no hole expected')) } as unknown as EdgeClient;

async function append(events: readonly SkuEvent[]) {
  await log.append(EVENTS_TOPIC, events.map((e) => ({ key: e.sku, value: JSON.stringify(e) })));
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Every archived event, read back from the bucket's Parquet files, and the files' version ranges. */
async function archived(store: S3ObjectStore) {
  const codec = await ParquetCodec.open();
  const local = mkdtempSync(join(tmpdir(), 'archiver-read-'));
  try {
    const paths: string[] = [];
    const files = [];
    for await (const { key } of store.list(ARCHIVE_PREFIX)) {
      files.push(parseArchiveKey(key)!);
      const path = join(local, `${paths.length}.parquet`);
      await writeFile(path, (await store.get(key))!.body);
      paths.push(path);
    }
    const rows = await codec.readEvents(paths);
    return { files, events: rows.map((r) => JSON.parse(r.event) as SkuEvent) };
  } finally {
    await codec.close();
    await rm(local, { recursive: true, force: true });
  }
}

const options = (store: ObjectStore) => ({ log, edge: noEdge, store, logger, endpoint: 'http://127.0.0.1:1', flushEvents: 40, flushMs: 200, snapshotEveryMs: 0 });

describe('archiver: every SKU event in the bucket, once, in order', () => {
  it('writes each stream\'s events in files of one day, contiguous, equal to the log; snapshots verify and a corrupt one is skipped', async () => {
    const store = await freshStore();
    const a = saleEvents('ARC-A', 60);
    // Shard 1 of a sharded SKU: a stream of its own, archived under its SKU (its events as the domain writes them, renamed).
    const sale = saleEvents('ARC-B', 25, { startMs: Date.parse('2026-12-07T08:00:00Z') });
    const b = { events: sale.events.map((e) => ({ ...e, sku: 'ARC-B~1' })), ledger: { state: { ...sale.ledger.state, sku: 'ARC-B~1' } } };
    await append(a.events.slice(0, 50));
    await append(b.events);
    await append(a.events.slice(50));
    // A redelivered record (the relay sends at least once) is archived once.
    await append(a.events.slice(10, 12));
    let archiver: Archiver | null = await startArchiver(options(store));
    try {
      const total = a.events.length + b.events.length;
      await until('every event archived', () => archiver!.status().eventsArchived === total);
      const { files, events } = await archived(store);
      expect(events).toEqual([...a.events, ...b.events]);
      // The sale crosses midnight: ARC-A's files split at the day, and each names its versions.
      const aFiles = files.filter((f) => f.stream === 'ARC-A');
      expect(new Set(aFiles.map((f) => f.date))).toEqual(new Set(['2026-12-06', '2026-12-07']));
      expect(aFiles.map((f) => [f.from, f.to])).toEqual(aFiles.map((_, i) => [i === 0 ? 1 : aFiles[i - 1]!.to + 1, aFiles[i]!.to]));
      expect(files.filter((f) => f.stream === 'ARC-B~1').every((f) => f.sku === 'ARC-B')).toBe(true);

      const [key] = await archiver.snapshotNow();
      const snapshot = await readSnapshot(store, key!);
      expect(new Map(snapshot.states.map((s) => [s.sku, s]))).toEqual(new Map([['ARC-A', a.ledger.state], ['ARC-B~1', b.ledger.state]]));
      expect(locationsOf(snapshot.states.find((s) => s.sku === 'ARC-A')!).map((l) => l.location)).toEqual(['AMS-1', 'FRA-1']);

      // A later snapshot whose bytes were damaged in the bucket: skipped, with the reason, for the earlier one.
      await append(saleEvents('ARC-C', 3).events);
      await until('ARC-C archived', () => archiver!.status().streams === 3 && archiver!.status().pendingEvents === 0);
      const [later] = await archiver.snapshotNow();
      const stored = (await store.get(later!))!;
      stored.body[stored.body.length - 5]! ^= 0xff;
      await store.put(later!, stored.body, stored.metadata);
      const latest = await latestSnapshots(store, 1, logger);
      expect(latest.skipped).toEqual([{ key: later, reason: expect.stringContaining('checksum mismatch') }]);
      expect(latest.byPartition.get(0)!.offset).toBe(snapshot.offset);
      await archiver.stop();
      archiver = null;
    } finally {
      await archiver?.stop();
    }
  });

  it('a replica that wrote files and died before committing leaves nothing twice: the next owner writes only what the bucket lacks', async () => {
    const store = await freshStore();
    const sale = saleEvents('ARC-CRASH', 80, { startMs: Date.parse('2026-12-07T09:00:00Z') });
    await append(sale.events);
    // The first owner's commits fail (it was fenced, or died at that moment): its files are in the bucket, its offsets are not.
    const dying = await startArchiver({ ...options(store), log: failingCommits(log) });
    await until('files written by the dying owner', async () => (await archived(store)).events.length > 0);
    await dying.stop().catch(() => undefined);
    const orphans = (await archived(store)).files;
    const next = await startArchiver(options(store));
    try {
      await until('the rest archived', async () => (await archived(store)).events.filter((e) => e.sku === 'ARC-CRASH').length >= sale.events.length && next.status().pendingEvents === 0);
      const { files, events } = await archived(store);
      const mine = events.filter((e) => e.sku === 'ARC-CRASH');
      expect(mine).toEqual(sale.events);
      // Every orphan is still there, untouched, and no later file overlaps it.
      for (const orphan of orphans) expect(files).toContainEqual(orphan);
      const ranges = files.filter((f) => f.stream === 'ARC-CRASH').sort((x, y) => x.from - y.from);
      for (let i = 1; i < ranges.length; i++) expect(ranges[i]!.from).toBe(ranges[i - 1]!.to + 1);
    } finally {
      await next.stop();
    }
  });
});

describe('bootstrap: read models from the bucket instead of the log\'s beginning', () => {
  it('the newest snapshot and the archive after it give every state, and the log is read only after what the archive covers', async () => {
    const store = await freshStore();
    const first = saleEvents('BOOT-A', 30, { startMs: Date.parse('2026-12-07T10:00:00Z') });
    const second = saleEvents('BOOT-B', 20, { startMs: Date.parse('2026-12-07T10:00:00Z') });
    await append(first.events.slice(0, 40));
    const archiver = await startArchiver(options(store));
    try {
      await until('the first part archived', () => archiver.status().eventsArchived === 40 && archiver.status().pendingEvents === 0);
      // Without a snapshot, and a log whose retention let every event go: the archive alone gives the state.
      const fromArchive = new SkuStates(noEdge);
      const bare = await bootstrapFromArchive({ store, log: retained(log), logger }, fromArchive);
      expect([bare.snapshotSkus, bare.archiveEvents, bare.archivePartitions]).toEqual([0, 40, [0]]);
      expect(fromArchive.get('BOOT-A')!.version).toBe(40);

      await archiver.snapshotNow();
      await append([...first.events.slice(40), ...second.events]);
      await until('the rest archived', () => archiver.status().eventsArchived === first.events.length + second.events.length && archiver.status().pendingEvents === 0);
      await until('the marker written', async () => (await store.get(coveredKey(1, 0))) !== null && JSON.parse(new TextDecoder().decode((await store.get(coveredKey(1, 0)))!.body)).offset === String(BigInt((await log.endOffsets(EVENTS_TOPIC)).get(0)!) - 1n));
      const states = new SkuStates(noEdge);
      const booted = await bootstrapFromArchive({ store, log: retained(log), logger }, states);
      expect(states.get('BOOT-A')).toEqual(first.ledger.state);
      expect(states.get('BOOT-B')).toEqual(second.ledger.state);
      // BOOT-A from its snapshot (40 events) plus the archive after it; BOOT-B from the archive alone.
      expect(booted.snapshotSkus).toBeGreaterThanOrEqual(1);
      expect(booted.archiveEvents).toBe(first.events.length - 40 + second.events.length);
      expect(booted.startAt).toEqual(await log.endOffsets(EVENTS_TOPIC));

      // A log that still holds everything after the snapshot is read instead of a file per stream.
      const whole = await bootstrapFromArchive({ store, log, logger }, new SkuStates(noEdge));
      expect([whole.archivePartitions, whole.archiveFiles, whole.archiveEvents]).toEqual([[], 0, 0]);
      expect(BigInt(whole.startAt.get(0)!)).toBeLessThan(BigInt((await log.endOffsets(EVENTS_TOPIC)).get(0)!));
    } finally {
      await archiver.stop();
    }
  });
});

/** The log as after a retention that deleted every record so far: only the archive holds them. */
function retained(inner: EventLog): EventLog {
  return Object.assign(Object.create(inner) as EventLog, { startOffsets: (topic: string) => inner.endOffsets(topic) });
}

/** The log as an owner that dies after uploading sees it: its declarations land, its offset never moves. */
function failingCommits(inner: EventLog): EventLog {
  const failing = (owner: PartitionOwner): PartitionOwner => ({
    partition: owner.partition,
    get active() {
      return owner.active;
    },
    // Its declarations land, the commits that would move its offset do not: it dies between uploading and committing.
    commit: (records, nextOffset) => (nextOffset === undefined ? owner.commit(records) : Promise.reject(new Error('PRODUCER_FENCED'))),
  });
  return Object.assign(Object.create(inner) as EventLog, {
    subscribeOwned: (o: Parameters<EventLog['subscribeOwned']>[0]) =>
      inner.subscribeOwned({ ...o, onAssigned: (owner, restored) => o.onAssigned(failing(owner), restored), onBatch: (records, owner) => o.onBatch(records, failing(owner)) }),
  });
}
