import { join } from 'node:path';
import type { BridgeConfig } from '../config';
import type { Logger } from '../logger';
import { EmbeddedEventLog } from './embedded';
import { KafkaEventLog } from './kafka';
import { kafkaSecurity } from './kafkaSecurity';
import { lockForOneBridge } from './oneBridge';
import type { EventLog } from './port';

/**
 * Kafka when brokers are configured, else the embedded file log, so a laptop needs only Node. The
 * bridge's log: on the embedded one a second bridge is refused (SecondBridgeError).
 */
export function createEventLog(config: BridgeConfig, logger: Logger): EventLog {
  if (config.KAFKA_BROKERS.length === 0) {
    const dir = join(config.BRIDGE_DATA_DIR, 'log');
    return new EmbeddedEventLog(dir, { held: lockForOneBridge(dir) });
  }
  return new KafkaEventLog({
    brokers: config.KAFKA_BROKERS,
    clientId: config.KAFKA_CLIENT_ID,
    replicationFactor: config.KAFKA_REPLICATION_FACTOR,
    partitions: config.KAFKA_PARTITIONS,
    historyRetentionMs: config.EVENTS_RETENTION_MS,
    security: kafkaSecurity(config),
    logger,
  });
}
