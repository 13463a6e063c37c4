import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, inject, it } from 'vitest';

const kafka = new Kafka({ clientId: 'kafka-int-test', brokers: [inject('kafkaBrokers')], logLevel: logLevel.NOTHING });
const admin = kafka.admin();

afterAll(async () => {
  await admin.disconnect();
});

describe('the project-started Kafka broker with kafkajs', () => {
  it('idempotent acks=all producer → consumer group: every message once, in order per key', async () => {
    const topic = `proof-${Date.now()}`;
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 4, replicationFactor: 1 }] });

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const keys = ['SKU-A', 'SKU-B', 'SKU-C'];
    const sent = keys.flatMap((key) => Array.from({ length: 50 }, (_, i) => ({ key, value: `${key}:${i + 1}` })));
    await producer.send({ topic, acks: -1, messages: sent });
    await producer.disconnect();

    // A consumer group needs JoinGroup/SyncGroup and the offsets topic: what kafkajs#1752 and
    // KAFKA-19444 broke on other brokers.
    const consumer = kafka.consumer({ groupId: `${topic}-group` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: { key: string; value: string }[] = [];
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          received.push({ key: message.key!.toString(), value: message.value!.toString() });
          if (received.length === sent.length) resolve();
        },
      });
    });
    await done;
    await consumer.disconnect();

    expect(received).toHaveLength(150);
    for (const key of keys) {
      expect(received.filter((m) => m.key === key).map((m) => m.value)).toEqual(
        Array.from({ length: 50 }, (_, i) => `${key}:${i + 1}`),
      );
    }
  });
});
