import { Kafka, logLevel } from 'kafkajs';

/** Who worked on which saga partition when, read from one replica's JSON log lines. */
export type Span = { replica: string; partition: number; from: number; to: number };

const STARTS = new Set(['partitions acquired', 'partitions resumed']);
const STOPS = new Set(['partitions suspended', 'partitions revoked']);

/**
 * A replica's spans of ownership per partition of one group (the sagas' by default), from its
 * `partitions …` log lines (pino's `time`
 * in epoch ms, one process clock for all on one machine); a span still open ends at `end` (the
 * moment it was killed, or now).
 */
export function ownershipSpans(replica: string, output: string, end: number, groupId = 'wms-saga'): Span[] {
  const open = new Map<number, number>();
  const spans: Span[] = [];
  // Every owned group logs its partitions (the snapshotter's too): only the one asked about counts.
  const ofGroup = `"groupId":"${groupId}"`;
  for (const line of output.split('\n')) {
    if (!line.startsWith('{') || !line.includes('"partitions ') || !line.includes(ofGroup)) continue;
    let entry: { msg?: string; time?: number; partitions?: number[] };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    const { msg = '', time = 0, partitions = [] } = entry;
    for (const partition of partitions) {
      if (STARTS.has(msg) && !open.has(partition)) open.set(partition, time);
      if (STOPS.has(msg) && open.has(partition)) {
        spans.push({ replica, partition, from: open.get(partition)!, to: time });
        open.delete(partition);
      }
    }
  }
  for (const [partition, from] of open) spans.push({ replica, partition, from, to: end });
  return spans;
}

/** Pairs of spans in which two replicas worked on one partition at the same time. */
export function overlapping(spans: readonly Span[]): [Span, Span][] {
  const found: [Span, Span][] = [];
  for (const [i, a] of spans.entries()) {
    for (const b of spans.slice(i + 1)) {
      if (a.replica !== b.replica && a.partition === b.partition && a.from < b.to && b.from < a.to) found.push([a, b]);
    }
  }
  return found;
}

type SagaRecord = { key: string; value: { phase: string; updatedAt: number } | null; offset: string; partition: number };

/**
 * Every record the saga topic ever took (read committed, before compaction could drop any), per
 * key in log order: how a test sees whether a saga's state ever went back.
 */
export async function sagaHistory(brokers: string, topic: string, timeoutMs = 30_000): Promise<Map<string, SagaRecord[]>> {
  const kafka = new Kafka({ clientId: 'saga-history', brokers: [brokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
  await admin.disconnect();
  const pending = new Set([...ends].filter(([, high]) => high > 0n).map(([p]) => p));
  const history = new Map<string, SagaRecord[]>();
  const lastRead = new Map<number, bigint>();
  const consumer = kafka.consumer({ groupId: `saga-history-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const done = new Promise<void>((resolve) => {
    const check = (partition: number, last: string) => {
      if (BigInt(last) >= ends.get(partition)! - 1n) pending.delete(partition);
      if (pending.size === 0) resolve();
    };
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => check(payload.partition, payload.lastOffset));
    if (pending.size === 0) resolve();
  });
  await consumer.run({
    eachMessage: async ({ message, partition }) => {
      // kafkajs may deliver a range again (a fetch retried from the last resolved offset): a record
      // already read would look like a state that went back.
      if (BigInt(message.offset) <= (lastRead.get(partition) ?? -1n)) return;
      lastRead.set(partition, BigInt(message.offset));
      const key = message.key?.toString() ?? '';
      if (!key.startsWith('saga:')) return;
      const value = message.value ? (JSON.parse(message.value.toString()) as SagaRecord['value']) : null;
      history.set(key, [...(history.get(key) ?? []), { key, value, offset: message.offset, partition }]);
    },
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([done, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`reading ${topic} did not reach its end`)), timeoutMs)))]);
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
  return history;
}

/**
 * Records of a saga that went back: an older update after a newer one, or, after `done`, anything
 * but `done`, a tombstone or `cancelling` (the one way out of `done`: a late WMS reply saying an
 * attempt from before the cancel allocated after all, cancelled there again; src/domain/allocation).
 */
export function wentBack(records: readonly SagaRecord[]): SagaRecord[] {
  const back: SagaRecord[] = [];
  let last: SagaRecord['value'] = null;
  for (const record of records) {
    const now = record.value;
    const leftDone = last?.phase === 'done' && now !== null && now.phase !== 'done' && now.phase !== 'cancelling';
    if (last && now && (now.updatedAt < last.updatedAt || leftDone)) back.push(record);
    last = now;
  }
  return back;
}
