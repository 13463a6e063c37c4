import { randomUUID } from 'node:crypto';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { describe, expect, inject, it } from 'vitest';
import { KafkaEventLog } from '../../bridge/eventLog/kafka';
import { describeEventLogContract } from './eventLog.contract';

const brokers = [inject('kafkaBrokers')];
const open = async () =>
  new KafkaEventLog({ brokers, clientId: 'contract-test', replicationFactor: -1, partitions: -1, logger: pino({ level: 'silent' }) });

describeEventLogContract('kafka', open);

describe('kafka adapter', () => {
  it('creates topics with explicit settings: unlimited history, compacted snapshots, kept dead letters', async () => {
    const id = randomUUID().slice(0, 8);
    const names = { history: `h-${id}`, compacted: `c-${id}`, deadLetter: `d-${id}` } as const;
    const log = await open();
    await log.ensureTopics(Object.entries(names).map(([kind, name]) => ({ name, kind: kind as keyof typeof names })));
    await log.close();

    const admin = new Kafka({ clientId: 'contract-config', brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: Object.values(names).map((name) => ({
        type: ConfigResourceTypes.TOPIC,
        name,
        configNames: ['cleanup.policy', 'retention.ms', 'retention.bytes'],
      })),
    });
    await admin.disconnect();
    const config = Object.fromEntries(
      resources.map((r) => [r.resourceName, Object.fromEntries(r.configEntries.map((e) => [e.configName, e.configValue]))]),
    );
    expect(config[names.history]).toEqual({ 'cleanup.policy': 'delete', 'retention.ms': '-1', 'retention.bytes': '-1' });
    expect(config[names.compacted]?.['cleanup.policy']).toBe('compact');
    expect(config[names.deadLetter]).toMatchObject({ 'cleanup.policy': 'delete', 'retention.ms': '-1' });
  });

  it('health reports an unreachable cluster as not ok, with the reason', async () => {
    const log = new KafkaEventLog({ brokers: ['127.0.0.1:1'], clientId: 'unreachable', replicationFactor: -1, partitions: -1, logger: pino({ level: 'silent' }) });
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
});
