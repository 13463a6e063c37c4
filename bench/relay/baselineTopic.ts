import type { Kafka } from 'kafkajs';
import { DEFAULT_PARTITIONS } from '../../bridge/eventLog/topicSettings';

/** A topic of the baselines' own on the run's broker. */
export async function createTopic(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    // As many partitions as the bridge's inventory.events (KAFKA_PARTITIONS unset), broker defaults otherwise.
    await admin.createTopics({ topics: [{ topic, numPartitions: DEFAULT_PARTITIONS }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}
