import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { pino } from 'pino';
import { ARCHIVE_PREFIX, parseArchiveKey, type ArchiveFile } from '../bridge/archive/keys';
import type { ObjectStore } from '../bridge/archive/objectStore';
import { ParquetCodec } from '../bridge/archive/parquet';
import { latestSnapshots } from '../bridge/archive/storedSnapshots';
import { foldLedger } from '../src/domain/sku';
import type { Check, Folded } from './checkTypes';

const listFiles = async (store: ObjectStore): Promise<(ArchiveFile & { key: string })[]> => {
  const files: (ArchiveFile & { key: string })[] = [];
  for await (const { key } of store.list(ARCHIVE_PREFIX)) {
    const file = parseArchiveKey(key);
    if (file) files.push({ ...file, key });
  }
  return files;
};

/**
 * The archive the bridge replicas wrote while being SIGKILLed, against the objects' logs (issue
 * 27): every event in a file, in version order with no hole (a range twice only from a handover), equal to the
 * object's event; and every partition's newest snapshot sound and equal to its SKUs' logs folded
 * up to the versions it covers. Waits first for the archivers to write the run's last events.
 */
export async function archiveMatchesLogs(store: ObjectStore, latest: readonly Folded[], waitMs = 180_000): Promise<Check[]> {
  const wanted = new Map(latest.map((f) => [f.sku, f.log.length]));
  const deadline = Date.now() + waitMs;
  let files = await listFiles(store);
  const behind = () => [...wanted].filter(([sku, n]) => Math.max(0, ...files.filter((f) => f.stream === sku).map((f) => f.to)) < n);
  while (behind().length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1_000));
    files = await listFiles(store);
  }

  const events: Check = { check: 'archive: every event, equal to its object\'s, in order (a copy only from a handover)', checked: 0, violations: [] };
  const ranges: Check = { check: 'archive: files of a stream leave no hole', checked: 0, violations: [] };
  let overlaps = 0;
  const dir = await mkdtemp(join(tmpdir(), 'torture-archive-'));
  const codec = await ParquetCodec.open();
  try {
    const paths = await Promise.all(files.map(async (file, i) => {
      const path = join(dir, `${i}.parquet`);
      await writeFile(path, (await store.get(file.key))!.body);
      return path;
    }));
    const rows = await codec.readEvents(paths);
    for (const { sku, log } of latest) {
      const mine = rows.filter((r) => r.stream === sku);
      const versions = [...new Set(mine.map((r) => r.version))];
      if (versions.length !== log.length || versions.some((v, i) => v !== i + 1)) {
        events.violations.push(`${sku}: the archive holds versions ${summarize(mine.map((r) => r.version))}, its log ${log.length} events`);
      }
      for (const row of mine) {
        const expected = log[row.version - 1];
        if (expected && !isDeepStrictEqual(JSON.parse(row.event), expected)) events.violations.push(`${sku} v${row.version}: archived event differs from the object's`);
      }
      events.checked += mine.length;
      const own = files.filter((f) => f.stream === sku).sort((a, b) => a.from - b.from);
      // Two owners in a handover (the old one not yet fenced from the bucket) may both write a range:
      // the copies are checked equal above; a hole is never allowed (ADR 0025).
      let reached = 0;
      for (const f of own) {
        ranges.checked++;
        if (f.from > reached + 1) ranges.violations.push(`${f.key}: starts at v${f.from}, after a hole from v${reached + 1}`);
        if (f.from <= reached) overlaps++;
        reached = Math.max(reached, f.to);
      }
    }
  } finally {
    await codec.close();
    await rm(dir, { recursive: true, force: true });
  }
  if (overlaps > 0) ranges.check += ` (${overlaps} file(s) overlapping an earlier one, from handovers)`;
  return [events, ranges, await snapshotsSound(store, latest)];
}

/** Each partition's newest snapshot: readable (checksum, schema, partition) and equal to the logs folded up to its versions. */
async function snapshotsSound(store: ObjectStore, latest: readonly Folded[]): Promise<Check> {
  const check: Check = { check: 'archive: newest snapshots sound and equal to the logs folded', checked: 0, violations: [] };
  const logs = new Map(latest.map((f) => [f.sku, f.log]));
  const { byPartition, skipped } = await latestSnapshots(store, await partitionCount(store), pino({ level: 'silent' }));
  for (const s of skipped) check.violations.push(`${s.key}: ${s.reason}`);
  for (const snapshot of byPartition.values()) {
    for (const state of snapshot.states) {
      check.checked++;
      const log = logs.get(state.sku!);
      if (!log) continue;
      if (!isDeepStrictEqual(foldLedger(log.slice(0, state.version)).state, state)) check.violations.push(`snapshot of ${state.sku} at v${state.version} differs from its log folded to v${state.version}`);
    }
  }
  return check;
}

/** The partition count the snapshots were written under (the newest layout in the bucket). */
async function partitionCount(store: ObjectStore): Promise<number> {
  let count = 1;
  for await (const { key } of store.list('snapshots/partitions=')) count = Math.max(count, Number(/partitions=(\d+)/.exec(key)?.[1] ?? 1));
  return count;
}

function summarize(versions: readonly number[]): string {
  if (versions.length === 0) return 'none';
  const dupes = versions.length - new Set(versions).size;
  return `${versions.length} rows, v${Math.min(...versions)}..v${Math.max(...versions)}${dupes ? `, ${dupes} twice` : ''}`;
}
