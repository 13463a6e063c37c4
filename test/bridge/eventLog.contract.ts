import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { TopicSettingsError } from '../../bridge/eventLog/errors';
import { readPage, scan } from '../../bridge/eventLog/scan';
import type { ConsumedRecord, EventLog, LogRecord, Subscription, TopicKind } from '../../bridge/eventLog/port';

/** Kafka needs seconds for a consumer group to join; the embedded log needs milliseconds. */
const TIMEOUT_MS = 60_000;
const POLL_MS = 20;

/** Polls instead of sleeping a fixed time, so a fast adapter is not slowed down and a slow one gets its time. */
export async function waitFor(predicate: () => boolean, what: string, timeoutMs = TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** A record numbered within its key, so order and gaps are visible in the value. */
const record = (key: string, n: number): LogRecord => ({ key, value: `${key}:${n}`, headers: { seq: String(n) } });

/** What a consumer can compare with what was appended: an adapter may give no headers as undefined or {}. */
const plain = ({ key, value, headers }: LogRecord) => ({ key, value, headers: headers ?? {} });

const values = (records: readonly LogRecord[]) => records.map((r) => r.value);
const sortedValues = (records: readonly LogRecord[]) => values(records).sort();
const tombstone = (key: string): LogRecord => ({ key, value: null });
const ofKey = <T extends LogRecord>(records: readonly T[], key: string) => records.filter((r) => r.key === key);

/**
 * What every EventLog adapter must do. `open` opens the same store each time (same directory, same
 * brokers) as a new instance, so durability and resumption are tested by closing and opening again.
 *
 * Kafka spreads keys over partitions, so order is only asserted per key. Tests that must prove that
 * nothing else arrives use a single key (one partition): once its last record arrived, every record
 * before it in that partition did too.
 *
 * `subscribe` must resolve only once the start position is fixed: a group starting at the end
 * (fromBeginning false) must receive every record appended after `subscribe` resolved.
 */
export function describeEventLogContract(name: string, open: () => Promise<EventLog>): void {
  describe(`EventLog contract: ${name}`, () => {
    const opened = new Set<EventLog>();
    const subscriptions = new Map<Subscription, EventLog>();

    const unique = (label: string) => `contract-${name}-${label}-${randomUUID().slice(0, 8)}`;

    async function openLog(): Promise<EventLog> {
      const log = await open();
      opened.add(log);
      return log;
    }

    async function stop(subscription: Subscription): Promise<void> {
      subscriptions.delete(subscription);
      await subscription.stop();
    }

    /** Its subscriptions first, so a close never races a handler still running. */
    async function closeLog(log: EventLog): Promise<void> {
      for (const [subscription, owner] of subscriptions) if (owner === log) await stop(subscription);
      opened.delete(log);
      await log.close();
    }

    afterEach(async () => {
      for (const log of opened) await closeLog(log);
    });

    async function newTopic(log: EventLog, kind: TopicKind = 'history'): Promise<string> {
      const topic = unique(kind);
      await log.ensureTopics([{ name: topic, kind }]);
      return topic;
    }

    /** Subscribes a group that accepts every batch and collects what it was given. */
    async function consume(log: EventLog, topic: string, groupId: string, fromBeginning: boolean) {
      const received: ConsumedRecord[] = [];
      const subscription = await log.subscribe({
        groupId,
        topic,
        fromBeginning,
        onBatch: async (records) => {
          received.push(...records);
        },
      });
      subscriptions.set(subscription, log);
      return { received, subscription };
    }

    it('delivers records appended in several calls to a group: all of them, in append order per key, as appended', async () => {
      const log = await openLog();
      const topic = await newTopic(log);
      const calls: LogRecord[][] = [
        [record('sku-a', 1), record('sku-b', 1), record('sku-a', 2)],
        [record('sku-c', 1)],
        [record('sku-b', 2), record('sku-a', 3), { key: 'sku-c', value: 'sku-c:2' }],
      ];
      const before = Date.now();
      for (const call of calls) await log.append(topic, call);
      const after = Date.now();
      const appended = calls.flat();

      const { received } = await consume(log, topic, unique('group'), true);
      await waitFor(() => received.length >= appended.length, `${appended.length} records`);

      expect(received).toHaveLength(appended.length);
      for (const key of ['sku-a', 'sku-b', 'sku-c']) {
        expect(ofKey(received, key).map(plain)).toEqual(ofKey(appended, key).map(plain));
        const offsets = ofKey(received, key).map((r) => BigInt(r.offset));
        expect(offsets).toEqual([...offsets].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
        expect(new Set(offsets).size).toBe(offsets.length);
      }
      for (const r of received) {
        expect(r.topic).toBe(topic);
        expect(Number.isInteger(r.partition)).toBe(true);
        expect(r.offset).toMatch(/^\d+$/);
        expect(r.timestamp).toBeGreaterThanOrEqual(before);
        expect(r.timestamp).toBeLessThanOrEqual(after);
      }
    });

    it('resumes a group after its last committed batch, and starts new groups at the beginning or the end as asked', async () => {
      const key = 'sku-resume';
      const first = await openLog();
      const topic = await newTopic(first);
      const groupId = unique('group');
      await first.append(topic, [record(key, 1), record(key, 2), record(key, 3)]);
      const early = await consume(first, topic, groupId, true);
      await waitFor(() => early.received.length >= 3, 'the first 3 records');
      expect(values(early.received)).toEqual(['sku-resume:1', 'sku-resume:2', 'sku-resume:3']);
      await closeLog(first);

      const second = await openLog();
      await second.append(topic, [record(key, 4)]);
      await second.append(topic, [record(key, 5)]);
      // fromBeginning true: a committed offset must win over it.
      const resumed = await consume(second, topic, groupId, true);
      await waitFor(() => resumed.received.some((r) => r.value === 'sku-resume:5'), 'record 5 for the resumed group');
      expect(values(resumed.received)).toEqual(['sku-resume:4', 'sku-resume:5']);

      const replay = await consume(second, topic, unique('replay'), true);
      await waitFor(() => replay.received.some((r) => r.value === 'sku-resume:5'), 'record 5 for a new group from the beginning');
      expect(values(replay.received)).toEqual(['sku-resume:1', 'sku-resume:2', 'sku-resume:3', 'sku-resume:4', 'sku-resume:5']);

      const latest = await consume(second, topic, unique('latest'), false);
      await second.append(topic, [record(key, 6), record(key, 7)]);
      await waitFor(() => latest.received.some((r) => r.value === 'sku-resume:7'), 'record 7 for a new group from the end');
      expect(values(latest.received)).toEqual(['sku-resume:6', 'sku-resume:7']);
    });

    it('delivers the same records again when onBatch throws, and skips nothing', async () => {
      const key = 'sku-retry';
      const log = await openLog();
      const topic = await newTopic(log);
      const appended = [1, 2, 3, 4, 5, 6].map((n) => record(key, n));
      await log.append(topic, appended.slice(0, 3));
      await log.append(topic, appended.slice(3));

      const attempts: ConsumedRecord[][] = [];
      const accepted: ConsumedRecord[] = [];
      const subscription = await log.subscribe({
        groupId: unique('group'),
        topic,
        fromBeginning: true,
        onBatch: async (records) => {
          attempts.push([...records]);
          if (attempts.length === 1) throw new Error('handler failed once');
          accepted.push(...records);
        },
      });
      subscriptions.set(subscription, log);
      await waitFor(() => accepted.length >= appended.length, `${appended.length} accepted records`);

      expect(values(accepted)).toEqual(values(appended));
      const failedFirst = attempts[0]![0]!;
      expect(attempts.flat().filter((r) => r.offset === failedFirst.offset && r.value === failedFirst.value).length).toBeGreaterThanOrEqual(2);
    });

    it('keeps every record of concurrent appends, once each, in order per key', async () => {
      const log = await openLog();
      const topic = await newTopic(log);
      const calls = Array.from({ length: 20 }, (_, call) => Array.from({ length: 10 }, (_, n) => record(`sku-${call}`, n + 1)));
      await Promise.all(calls.map((call) => log.append(topic, call)));

      const { received } = await consume(log, topic, unique('group'), true);
      await waitFor(() => received.length >= 200, '200 records');

      expect(received).toHaveLength(200);
      expect(new Set(received.map((r) => `${r.partition}/${r.offset}`)).size).toBe(200);
      for (const call of calls) expect(ofKey(received, call[0]!.key).map(plain)).toEqual(call.map(plain));
    });

    it('ensureTopics is idempotent: a second call, from the same or another instance, neither fails nor loses records', async () => {
      const key = 'sku-ensure';
      const log = await openLog();
      const topic = await newTopic(log);
      await log.append(topic, [record(key, 1), record(key, 2)]);
      await log.ensureTopics([{ name: topic, kind: 'history' }]);
      await log.append(topic, [record(key, 3)]);
      const other = await openLog();
      await other.ensureTopics([{ name: topic, kind: 'history' }]);

      const { received } = await consume(other, topic, unique('group'), true);
      await waitFor(() => received.some((r) => r.value === 'sku-ensure:3'), 'record 3');
      expect(values(received)).toEqual(['sku-ensure:1', 'sku-ensure:2', 'sku-ensure:3']);
    });

    it('ensureTopics refuses a topic that exists as another kind, naming it, and keeps it and its records as they were', async () => {
      const log = await openLog();
      const history = await newTopic(log, 'history');
      const table = await newTopic(log, 'compacted');
      await log.append(history, [record('k', 1)]);
      const asked = log.ensureTopics([
        { name: history, kind: 'compacted' },
        { name: table, kind: 'history' },
      ]);
      await expect(asked).rejects.toBeInstanceOf(TopicSettingsError);
      const { findings } = (await asked.catch((error: unknown) => error)) as TopicSettingsError;
      // How an adapter keeps a topic's kind differs (Kafka: cleanup.policy, retention), so the settings it names do too.
      expect([...new Set(findings.map((f) => f.topic))]).toEqual([history, table]);
      expect(findings.every((f) => f.severity === 'refuse' && f.message.startsWith(`${f.topic}: `))).toBe(true);
      expect(await log.ensureTopics([{ name: history, kind: 'history' }, { name: table, kind: 'compacted' }])).toEqual([]);
      expect(values(await log.readAll(history))).toEqual(['k:1']);
    });

    it('readAll answers every record so far, in order per key, and leaves no position behind', async () => {
      const log = await openLog();
      const topic = await newTopic(log);
      expect(await log.readAll(topic)).toEqual([]);
      const appended = [record('a', 1), record('b', 1), record('a', 2), record('b', 2), record('a', 3)];
      await log.append(topic, appended.slice(0, 2));
      await log.append(topic, appended.slice(2));
      const all = await log.readAll(topic);
      const byValue = (x: { value: string | null }, y: { value: string | null }) => (x.value ?? '').localeCompare(y.value ?? '');
      expect(all.map(plain).sort(byValue)).toEqual(appended.map(plain).sort(byValue));
      expect(values(ofKey(all, 'a'))).toEqual(['a:1', 'a:2', 'a:3']);
      // Nothing was committed for anyone: a second read sees the same, plus what came since.
      await log.append(topic, [record('a', 4)]);
      expect(values(ofKey(await log.readAll(topic), 'a'))).toEqual(['a:1', 'a:2', 'a:3', 'a:4']);
    });

    it('endOffsets tells where each partition ends; startAt starts a reader there', async () => {
      const log = await openLog();
      const topic = await newTopic(log);
      const key = 'one-partition';
      await log.append(topic, [1, 2, 3, 4, 5].map((n) => record(key, n)));
      const ends = await log.endOffsets(topic);
      const [partition, end] = [...ends].find(([, offset]) => offset !== '0')!;
      expect(end).toBe('5');
      const received: ConsumedRecord[] = [];
      const subscription = await log.subscribe({
        groupId: unique('group'),
        topic,
        fromBeginning: true,
        commit: false,
        startAt: new Map([[partition, '3']]),
        onBatch: async (records) => void received.push(...records),
      });
      subscriptions.set(subscription, log);
      await waitFor(() => received.some((r) => r.value === `${key}:5`), 'the last record');
      expect(values(received)).toEqual([`${key}:4`, `${key}:5`]);
    });

    it('readAll of a compacted topic answers the latest record of each key, also after reopening', async () => {
      const log = await openLog();
      const topic = await newTopic(log, 'compacted');
      expect(await log.readAll(topic)).toEqual([]);
      await log.append(topic, [record('a', 1), record('b', 1), record('a', 2)]);
      await log.append(topic, [record('c', 1), record('a', 3)]);
      await log.append(topic, [record('b', 2)]);
      const latest = await log.readAll(topic);
      expect(latest.map(plain).sort((x, y) => x.key.localeCompare(y.key))).toEqual([record('a', 3), record('b', 2), record('c', 1)].map(plain));
      await closeLog(log);

      const reopened = await openLog();
      expect(sortedValues(await reopened.readAll(topic))).toEqual(['a:3', 'b:2', 'c:1']);
      await reopened.append(topic, [record('c', 2)]);
      expect(sortedValues(await reopened.readAll(topic))).toEqual(['a:3', 'b:2', 'c:2']);
    });

    it('compaction keeps offsets: the latest record keeps its own, and the end still counts every append', async () => {
      const log = await openLog();
      const topic = await newTopic(log, 'compacted');
      const key = 'one-partition';
      await log.append(topic, [record(key, 1), record(key, 2)]);
      await log.append(topic, [record(key, 3)]);
      const [latest, ...rest] = await log.readAll(topic);
      expect(rest).toEqual([]);
      expect(latest).toMatchObject({ key, value: `${key}:3`, offset: '2' });
      expect((await log.endOffsets(topic)).get(latest!.partition)).toBe('3');
    });

    it('a tombstone deletes its key from a compacted topic, and the key may be written again', async () => {
      const log = await openLog();
      const topic = await newTopic(log, 'compacted');
      await log.append(topic, [record('a', 1), record('b', 1), record('c', 1)]);
      await log.append(topic, [tombstone('a')]);
      expect(sortedValues(await log.readAll(topic))).toEqual(['b:1', 'c:1']);
      // In one append: a value then its tombstone, a tombstone then a value, a tombstone for a key never written.
      await log.append(topic, [record('b', 2), tombstone('b'), tombstone('c'), record('c', 2), tombstone('never')]);
      expect(sortedValues(await log.readAll(topic))).toEqual(['c:2']);
      await log.append(topic, [record('a', 2)]);
      expect(sortedValues(await log.readAll(topic))).toEqual(['a:2', 'c:2']);
      await log.append(topic, [tombstone('a'), tombstone('c')]);
      expect(await log.readAll(topic)).toEqual([]);
    });

    it('scan and readPage (eventLog/scan.ts) read pages of a partition without a committed position, as readAll would', async () => {
      const log = await openLog();
      const topic = await newTopic(log, 'deadLetter');
      await log.append(topic, Array.from({ length: 12 }, (_, i) => ({ key: `k${i % 4}`, value: `v${i}` })));
      const all = await log.readAll(topic);
      const scanned: string[] = [];
      await scan(log, topic, new Map([...(await log.endOffsets(topic)).keys()].map((p) => [p, '0'])), (batch) => void scanned.push(...batch.map((r) => r.value)));
      expect(scanned.sort()).toEqual(all.map((r) => r.value).sort());
      for (const [partition] of await log.endOffsets(topic)) {
        const mine = all.filter((r) => r.partition === partition);
        if (mine.length < 2) continue;
        const page = await readPage(log, topic, partition, mine[1]!.offset, 2);
        expect(page.map((r) => r.value)).toEqual(mine.slice(1, 3).map((r) => r.value));
      }
    });

    it('reports itself healthy', async () => {
      const log = await openLog();
      const health = await log.health();
      expect(health.ok).toBe(true);
      expect(['kafka', 'embedded']).toContain(health.adapter);
      expect(health.detail).not.toBe('');
    });
  });
}
