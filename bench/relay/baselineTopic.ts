import type { Kafka } from 'kafkajs';

/** A topic of the baselines' own on the run's broker. */
export async function createTopic(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    // Broker defaults, as the bridge's inventory.events (same partition count).
    await admin.createTopics({ topics: [{ topic }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}
