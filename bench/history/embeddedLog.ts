/**
 * The embedded event log against a long history (invariant bounded-by-live-work, docs/architecture.md: cost bounded by live work, never
 * by history). Appends a relay's worth of SKU events in relay-sized batches, sampling memory and
 * the cost of the position queries as the history grows, then fills a compacted topic by
 * rewriting every key many times. Flat columns are the result.
 *
 *   node --import tsx bench/history/embeddedLog.ts      (BENCH_EMBEDDED_EVENTS, BENCH_EMBEDDED_KEYS to scale)
 *
 * Prints tables and one JSON line with every figure.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmbeddedEventLog } from '../../bridge/eventLog/embedded';
import type { LogRecord } from '../../bridge/eventLog/port';
import { EVENTS_TOPIC, SAGAS_TOPIC } from '../../bridge/eventLog/topics';
import { printTable, writeResult } from '../lib/report';
import { round } from '../relay/figures';

export type EmbeddedLogOptions = {
  /** Events appended to the history topic. */
  events: number;
  /** Records per append: the relay appends a SKU object's outbox batch at a time. */
  batch: number;
  /** Events between two samples. */
  sampleEvery: number;
  /** Records a resuming consumer catches up on, appended after its commit. */
  catchUp: number;
  /** Keys of the compacted topic, each written `rounds` times. */
  tableKeys: number;
  rounds: number;
};

const DEFAULTS: EmbeddedLogOptions = { events: 1_000_000, batch: 100, sampleEvery: 100_000, catchUp: 1_000, tableKeys: 100_000, rounds: 10 };
const SKUS = 50;
/** endOffsets calls per sample: one is too short to time. */
const END_OFFSET_CALLS = 20;
const MiB = 2 ** 20;

export async function measureEmbeddedLog(options: Partial<EmbeddedLogOptions> = {}) {
  const opts = { ...DEFAULTS, ...options };
  const dir = await mkdtemp(join(tmpdir(), 'bench-embedded-log-'));
  try {
    const history = await measureHistory(join(dir, 'history'), opts);
    const table = await measureTable(join(dir, 'table'), opts);
    return { params: opts, history, table };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

type Sample = {
  events: number;
  eventsPerSecond: number;
  rssMiB: number;
  heapUsedMiB: number;
  endOffsetsMs: number;
  resumeMs: number;
  storeMiB: number;
};

/** Appends in batches; every `sampleEvery` events: memory, an endOffsets and a consumer resuming near the end. */
async function measureHistory(dir: string, opts: EmbeddedLogOptions) {
  const log = new EmbeddedEventLog(dir);
  try {
    await log.ensureTopics([{ name: EVENTS_TOPIC, kind: 'history' }]);
    const samples: Sample[] = [];
    const started = performance.now();
    let appendMs = 0;
    for (let appended = 0; appended < opts.events; ) {
      const intervalStart = performance.now();
      for (const next = appended + opts.sampleEvery; appended < next; appended += opts.batch) {
        await log.append(EVENTS_TOPIC, skuEvents(appended, opts.batch));
      }
      const intervalMs = performance.now() - intervalStart;
      appendMs += intervalMs;
      samples.push(await sample(log, dir, intervalMs, opts));
    }
    const first = samples[0]!;
    const last = samples.at(-1)!;
    return {
      samples,
      appendEventsPerSecond: Math.round(opts.events / (appendMs / 1000)),
      totalSeconds: round((performance.now() - started) / 1000),
      rssGrowthMiB: round(last.rssMiB - first.rssMiB),
      maxRssMiB: Math.max(...samples.map((s) => s.rssMiB)),
      bytesPerEvent: Math.round((last.storeMiB * MiB) / last.events),
    };
  } finally {
    await log.close();
  }
}

/** `events` counts the history so far, with the records the resuming consumers caught up on. */
async function sample(log: EmbeddedEventLog, dir: string, intervalMs: number, opts: EmbeddedLogOptions): Promise<Sample> {
  const { rss, heapUsed } = process.memoryUsage();
  const events = await endOffset(log);
  return {
    events,
    eventsPerSecond: Math.round(opts.sampleEvery / (intervalMs / 1000)),
    rssMiB: round(rss / MiB),
    heapUsedMiB: round(heapUsed / MiB),
    endOffsetsMs: await timeEndOffsets(log),
    resumeMs: await timeResume(log, `resume-${events}`, opts),
    storeMiB: round(await storeBytes(dir) / MiB),
  };
}

/** Mean of several calls, in ms. */
async function timeEndOffsets(log: EmbeddedEventLog): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < END_OFFSET_CALLS; i++) await log.endOffsets(EVENTS_TOPIC);
  return round((performance.now() - started) / END_OFFSET_CALLS, 3);
}

/**
 * A group commits at the end; `catchUp` events arrive; the time for the group to subscribe again
 * and have them all: its start comes from the committed offset, whatever history lies before.
 */
async function timeResume(log: EmbeddedEventLog, groupId: string, opts: EmbeddedLogOptions): Promise<number> {
  const end = await endOffset(log);
  // Reading the last record from a given start leaves the group committed at the end.
  await consumeUntil(log, groupId, end, new Map([[0, String(end - 1)]]));
  for (let appended = 0; appended < opts.catchUp; appended += opts.batch) await log.append(EVENTS_TOPIC, skuEvents(end + appended, opts.batch));
  const started = performance.now();
  await consumeUntil(log, groupId, end + opts.catchUp);
  return round(performance.now() - started, 2);
}

/** Subscribes (from the group's committed offset unless `startAt`) and stops once `end` is reached. */
async function consumeUntil(log: EmbeddedEventLog, groupId: string, end: number, startAt?: Map<number, string>): Promise<void> {
  let reached!: () => void;
  const done = new Promise<void>((resolve) => (reached = resolve));
  const subscription = await log.subscribe({
    groupId,
    topic: EVENTS_TOPIC,
    fromBeginning: true,
    ...(startAt ? { startAt } : {}),
    onBatch: async (records) => {
      if (Number(records.at(-1)!.offset) >= end - 1) reached();
    },
  });
  await done;
  await subscription.stop();
}

const endOffset = async (log: EmbeddedEventLog) => Number((await log.endOffsets(EVENTS_TOPIC)).get(0));

/** A compacted topic with every key written `rounds` times: its size after the first round and after the last. */
async function measureTable(dir: string, opts: EmbeddedLogOptions) {
  const log = new EmbeddedEventLog(dir);
  try {
    await log.ensureTopics([{ name: SAGAS_TOPIC, kind: 'compacted' }]);
    const databaseMiB: number[] = [];
    const started = performance.now();
    for (let pass = 1; pass <= opts.rounds; pass++) {
      for (let key = 0; key < opts.tableKeys; key += opts.batch) await log.append(SAGAS_TOPIC, sagaStates(key, Math.min(opts.batch, opts.tableKeys - key), pass));
      databaseMiB.push(round2((await fileBytes(dir, DATABASE)) / MiB));
    }
    const writeSeconds = (performance.now() - started) / 1000;
    const readStarted = performance.now();
    const live = await log.readAll(SAGAS_TOPIC);
    return {
      records: opts.tableKeys * opts.rounds,
      recordsPerSecond: Math.round((opts.tableKeys * opts.rounds) / writeSeconds),
      readAllRecords: live.length,
      readAllMs: round(performance.now() - readStarted),
      databaseMiBAfterEachRound: databaseMiB,
      // Bounded apart from the table: SQLite checkpoints it back to the start every ~4 MiB.
      walMiB: round2((await fileBytes(dir, WAL)) / MiB),
      rssMiB: round(process.memoryUsage().rss / MiB),
    };
  } finally {
    await log.close();
  }
}

const round2 = (n: number) => round(n, 2);

const DATABASE = 'log.sqlite';
const WAL = 'log.sqlite-wal';

const fileBytes = async (dir: string, file: string) => (await stat(join(dir, file)).catch(() => ({ size: 0 }))).size;

/** The database with its write-ahead log: what the log occupies on disk. */
const storeBytes = async (dir: string) => (await fileBytes(dir, DATABASE)) + (await fileBytes(dir, WAL));

/** StockReserved events as the relay appends them (about 300 bytes with headers), keyed by SKU. */
function skuEvents(first: number, count: number): LogRecord[] {
  return Array.from({ length: count }, (_, i) => {
    const n = first + i;
    const sku = `BENCH-${String(n % SKUS).padStart(3, '0')}`;
    const version = Math.floor(n / SKUS) + 1;
    const at = new Date(1_750_000_000_000 + n).toISOString();
    const event = {
      type: 'StockReserved',
      sku,
      version,
      at,
      causedBy: { [`sku:${sku}`]: version - 1 },
      data: { reservationId: `res_${n.toString(16).padStart(24, '0')}`, customerId: `customer-${n % 10_000}`, qty: 1 + (n % 3), expiresAt: at },
    };
    return { key: sku, value: JSON.stringify(event), headers: { 'event-type': event.type, sku, version: String(version) } };
  });
}

/** Saga states of `count` reservations from `first` on, as the saga store writes them. */
function sagaStates(first: number, count: number, pass: number): LogRecord[] {
  return Array.from({ length: count }, (_, i) => {
    const id = `res_${(first + i).toString(16).padStart(24, '0')}`;
    return { key: `saga:${id}`, value: JSON.stringify({ reservationId: id, sku: 'BENCH-001', qty: 1, phase: 'allocating', attempts: pass, nextAttemptAt: 1_750_000_000_000 + pass }) };
  });
}

type Result = Awaited<ReturnType<typeof measureEmbeddedLog>>;

function printResult({ history, table }: Result): void {
  printTable(
    'Embedded log, history topic: appends of 100 records, sampled as the history grows',
    history.samples.map((s) => ({
      events: s.events,
      'append events/s': s.eventsPerSecond,
      'RSS MiB': s.rssMiB,
      'heap MiB': s.heapUsedMiB,
      'endOffsets ms': s.endOffsetsMs,
      'resume + catch up ms': s.resumeMs,
      'store MiB': s.storeMiB,
    })),
  );
  printTable('Embedded log, compacted topic', [
    {
      records: table.records,
      'records/s': table.recordsPerSecond,
      'readAll records': table.readAllRecords,
      'readAll ms': table.readAllMs,
      'database MiB after round 1': table.databaseMiBAfterEachRound[0]!,
      'after the last': table.databaseMiBAfterEachRound.at(-1)!,
      'max': Math.max(...table.databaseMiBAfterEachRound),
      'WAL MiB': table.walMiB,
    },
  ]);
  console.log(
    `\nappends ${history.appendEventsPerSecond.toLocaleString('en-US')} events/s; RSS growth over the samples ${history.rssGrowthMiB} MiB (max ${history.maxRssMiB} MiB); ${history.bytesPerEvent} bytes/event on disk`,
  );
}

const isMain = resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url);
if (isMain) {
  const fromEnv = (name: string) => (process.env[name] === undefined ? undefined : Number(process.env[name]));
  const events = fromEnv('BENCH_EMBEDDED_EVENTS');
  const tableKeys = fromEnv('BENCH_EMBEDDED_KEYS');
  const result = await measureEmbeddedLog({
    // Ten samples whatever the size, each a whole number of batches.
    ...(events === undefined ? {} : { events, sampleEvery: Math.max(1, Math.round(events / 10 / DEFAULTS.batch)) * DEFAULTS.batch }),
    ...(tableKeys === undefined ? {} : { tableKeys }),
  });
  printResult(result);
  writeResult('embedded-log', result);
}
