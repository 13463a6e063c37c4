import { randomUUID } from 'node:crypto';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { describe, expect, inject, it } from 'vitest';
import { RecordTooLargeError } from '../../bridge/eventLog/errors';
import { KafkaEventLog } from '../../bridge/eventLog/kafka';
import { MAX_MESSAGE_BYTES } from '../../bridge/eventLog/topics';
import { describeEventLogContract } from './eventLog.contract';

const brokers = [inject('kafkaBrokers')];
const open = async () =>
  new KafkaEventLog({ brokers, clientId: 'contract-test', replicationFactor: -1, partitions: 4, logger: pino({ level: 'silent' }) });

describeEventLogContract('kafka', open);

describe('kafka adapter', () => {
  it('creates topics with explicit settings: unlimited history, a bounded history kept as configured, hourly-compacted snapshots, kept dead letters', async () => {
    const id = randomUUID().slice(0, 8);
    const names = { history: `h-${id}`, compacted: `c-${id}`, deadLetter: `d-${id}` } as const;
    const bounded = `b-${id}`;
    const week = 604_800_000;
    const log = new KafkaEventLog({ brokers, clientId: 'contract-test', replicationFactor: -1, partitions: 4, historyRetentionMs: week, logger: pino({ level: 'silent' }) });
    await log.ensureTopics([
      ...Object.entries(names).map(([kind, name]) => ({ name, kind: kind as keyof typeof names })),
      { name: bounded, kind: 'history', bounded: true },
    ]);
    await log.close();

    const admin = new Kafka({ clientId: 'contract-config', brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [...Object.values(names), bounded].map((name) => ({
        type: ConfigResourceTypes.TOPIC,
        name,
        configNames: ['cleanup.policy', 'retention.ms', 'retention.bytes', 'max.message.bytes', 'min.insync.replicas', 'segment.ms', 'min.cleanable.dirty.ratio', 'min.compaction.lag.ms'],
      })),
    });
    await admin.disconnect();
    const config = Object.fromEntries(
      resources.map((r) => [r.resourceName, Object.fromEntries(r.configEntries.map((e) => [e.configName, e.configValue]))]),
    );
    // One broker here: one replica, so one in-sync replica is all `acks=all` can wait for (two on a cluster of 2+).
    const limits = { 'max.message.bytes': String(MAX_MESSAGE_BYTES), 'min.insync.replicas': '1' };
    // Not bounded: kept forever whatever historyRetentionMs says.
    expect(config[names.history]).toMatchObject({ 'cleanup.policy': 'delete', 'retention.ms': '-1', 'retention.bytes': '-1', ...limits });
    expect(config[bounded]).toMatchObject({ 'cleanup.policy': 'delete', 'retention.ms': String(week), 'retention.bytes': '-1', ...limits });
    expect(config[names.compacted]).toMatchObject({ 'cleanup.policy': 'compact', 'segment.ms': '3600000', 'min.cleanable.dirty.ratio': '0.1', 'min.compaction.lag.ms': '0', ...limits });
    expect(config[names.deadLetter]).toMatchObject({ 'cleanup.policy': 'delete', 'retention.ms': '-1', ...limits });
  });

  it('a record over the max message size fails its own append, at once; a concurrent append to another key succeeds', async () => {
    const log = await open();
    const topic = `sizes-${randomUUID().slice(0, 8)}`;
    await log.ensureTopics([{ name: topic, kind: 'history' }]);
    const oversized = log.append(topic, [
      { key: 'big', value: 'ok' },
      { key: 'big', value: 'x'.repeat(MAX_MESSAGE_BYTES) },
    ]);
    const small = log.append(topic, [{ key: 'small', value: 'fits' }]);
    await expect(oversized).rejects.toBeInstanceOf(RecordTooLargeError);
    await expect(oversized).rejects.toMatchObject({ key: 'big', topic });
    await small;
    // Near the limit, and together far over it: sent in several produce requests, in order.
    const large = Array.from({ length: 3 }, (_, i) => ({ key: 'large', value: `${i}:${'y'.repeat(MAX_MESSAGE_BYTES - 4 * 1024)}` }));
    await log.append(topic, large);
    const stored = await log.readAll(topic);
    await log.close();
    expect(stored.filter((r) => r.key === 'big')).toEqual([]);
    expect(stored.filter((r) => r.key === 'small').map((r) => r.value)).toEqual(['fits']);
    expect(stored.filter((r) => r.key === 'large').map((r) => r.value.slice(0, 2))).toEqual(['0:', '1:', '2:']);
  });

  it('a produce request the broker refuses for one append: the appends coalesced with it succeed, those queued behind are not refused', async () => {
    const id = randomUUID().slice(0, 8);
    const [strict, normal] = [`strict-${id}`, `normal-${id}`];
    // A topic made elsewhere with a far smaller limit: the adapter's own check lets its record through, the broker refuses it.
    const admin = new Kafka({ clientId: 'contract-strict', brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: strict, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '1024' }] }] });
    await admin.disconnect();
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const log = new KafkaEventLog({ brokers, clientId: 'strict', replicationFactor: -1, partitions: 4, logger });
    await log.ensureTopics([{ name: normal, kind: 'history' }]);

    // The first append goes out at once; the next two queue behind it and leave together in one
    // request (768 KiB at most), which leaves no room for the last: it goes in the request after.
    const first = log.append(normal, [{ key: 'first', value: '1' }]);
    const refused = log.append(strict, [{ key: 'bad', value: 'z'.repeat(4_096) }]);
    const coalesced = log.append(normal, [{ key: 'innocent', value: `same request ${'i'.repeat(700 * 1024)}` }]);
    const behind = log.append(normal, [{ key: 'behind', value: `queued ${'q'.repeat(100 * 1024)}` }]);
    const outcomes = await Promise.allSettled([first, refused, coalesced, behind]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).toMatch(/too large|larger/i);
    const stored = new Set((await log.readAll(normal)).map((r) => r.value.split(' ')[0]));
    await log.close();
    expect([...stored].sort()).toEqual(['1', 'queued', 'same']);
    // The refused request held the bad append and the innocent one: both were sent again alone.
    expect(lines.map((line) => JSON.parse(line) as { msg: string; appends?: number }).filter((l) => l.msg.includes('one by one'))).toMatchObject([{ appends: 2 }]);
  });

  it('a tombstone goes to a compacted topic only, and a compacted topic is read with readAll, not subscribed to', async () => {
    const id = randomUUID().slice(0, 8);
    const log = await open();
    await log.ensureTopics([
      { name: `hist-${id}`, kind: 'history' },
      { name: `table-${id}`, kind: 'compacted' },
    ]);
    await expect(log.append(`hist-${id}`, [{ key: 'k', value: null }])).rejects.toThrow(/tombstone .* compacted topic/);
    await log.append(`table-${id}`, [{ key: 'k', value: 'v' }, { key: 'gone', value: 'v' }]);
    await log.append(`table-${id}`, [{ key: 'gone', value: null }]);
    expect((await log.readAll(`table-${id}`)).map((r) => [r.key, r.value])).toEqual([['k', 'v']]);
    await expect(log.subscribe({ groupId: `g-${id}`, topic: `table-${id}`, fromBeginning: true, onBatch: async () => {} })).rejects.toThrow(/readAll/);
    await log.close();
  });

  it('health reports an unreachable cluster as not ok, with the reason', async () => {
    const log = new KafkaEventLog({ brokers: ['127.0.0.1:1'], clientId: 'unreachable', replicationFactor: -1, partitions: 4, logger: pino({ level: 'silent' }) });
    const health = await log.health();
    await log.close();
    expect(health.ok).toBe(false);
    expect(health.adapter).toBe('kafka');
    expect(health.detail.length).toBeGreaterThan(0);
  });

  it('40 concurrent appenders under produce timeouts: every acknowledged record is in the log', async () => {
    // A 15 ms client timeout makes some produce requests time out after the broker wrote them,
    // the case where kafkajs rolls its sequence numbers back (see append): nothing acknowledged may vanish.
    const topic = `timeouts-${randomUUID().slice(0, 8)}`;
    const log = new KafkaEventLog({ brokers, clientId: 'timeouts', replicationFactor: -1, partitions: 4, logger: pino({ level: 'silent' }), produceRequestTimeoutMs: 15 });
    const reader = await open();
    await reader.ensureTopics([{ name: topic, kind: 'history' }]);
    const acknowledged: string[] = [];
    let refused = 0;
    await Promise.all(
      Array.from({ length: 40 }, async (_, writer) => {
        for (let n = 1; n <= 100; ) {
          const values = [`${writer}:${n}`, `${writer}:${n + 1}`];
          try {
            await log.append(topic, values.map((value) => ({ key: `w${writer}`, value })));
            acknowledged.push(...values);
            n += 2;
          } catch {
            refused++;
          }
        }
      }),
    );
    await log.close();
    const stored = new Set((await reader.readAll(topic)).map((r) => r.value));
    await reader.close();
    expect(acknowledged).toHaveLength(4_000);
    expect(acknowledged.filter((v) => !stored.has(v))).toEqual([]);
    console.log(`4,000 records acknowledged, ${refused} appends refused and retried, ${stored.size} distinct in the log`);
  }, 120_000);
  it('a batch handled for longer than the session timeout: the consumer keeps its partition, commits, and goes on', async () => {
    // Before heartbeats ran while a batch was handled, the broker evicted the member after 30 s,
    // its commit failed with an error kafkajs does not restart on, and the group stayed empty:
    // nothing after that batch was ever read (the saga consumer, far behind after a restart).
    const topic = `slow-${randomUUID().slice(0, 8)}`;
    const groupId = `slow-${randomUUID().slice(0, 8)}`;
    const log = await open();
    await log.ensureTopics([{ name: topic, kind: 'history' }]);
    await log.append(topic, [{ key: 'k', value: 'first' }]);
    const seen: string[] = [];
    const subscription = await log.subscribe({
      groupId,
      topic,
      fromBeginning: true,
      onBatch: async (records) => {
        for (const record of records) {
          if (record.value === 'first' && !seen.includes('first')) await new Promise((r) => setTimeout(r, 40_000));
          seen.push(record.value);
        }
      },
    });
    await waitUntil(() => seen.includes('first'), 60_000);
    await log.append(topic, [{ key: 'k', value: 'second' }]);
    await waitUntil(() => seen.includes('second'), 30_000);
    await subscription.stop();
    const admin = new Kafka({ clientId: 'slow-offsets', brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    await admin.disconnect();
    await log.close();
    expect(seen).toEqual(['first', 'second']);
    expect(offsets!.partitions.reduce((n, p) => n + Number(p.offset === '-1' ? 0 : p.offset), 0)).toBe(2);
  }, 120_000);
});

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !condition(); ) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}
