import type { Kafka } from 'kafkajs';
import { createTopic } from './baselineTopic';
import { round } from './figures';
import { PARAMS, SKUS } from './params';

/** The bridge's producer settings without the bridge: what kafkajs itself reaches here. */
export async function rawKafkajs(kafka: Kafka, records: number, bytes: number) {
  const topic = 'bench.raw-kafkajs';
  await createTopic(kafka, topic);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const value = 'x'.repeat(bytes);
  try {
    const startedAt = performance.now();
    for (let sent = 0; sent < records; sent += PARAMS.rawBatchSize) {
      const count = Math.min(PARAMS.rawBatchSize, records - sent);
      // Keyed by the same SKU names, so the records spread over the partitions as the relay's do.
      const messages = Array.from({ length: count }, (_, i) => ({ key: SKUS[(sent + i) % SKUS.length]!, value }));
      await producer.send({ topic, acks: -1, messages });
    }
    const seconds = (performance.now() - startedAt) / 1000;
    return { records, recordBytes: bytes, seconds: round(seconds, 3), recordsPerSecond: round(records / seconds) };
  } finally {
    await producer.disconnect();
  }
}
