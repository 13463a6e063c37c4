import { Partitioners } from 'kafkajs';

const keyed = Partitioners.DefaultPartitioner();

/**
 * The partition Kafka's default partitioner (murmur2 of the key, as the Java client) gives a
 * keyed record among `partitions`: where a SKU's events are, so where state placed with them goes.
 */
export function homePartition(key: string, partitions: number): number {
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
  return keyed({ topic: '', partitionMetadata, message: { key, value: null } });
}
