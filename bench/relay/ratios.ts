import { round } from './figures';

type Baselines = { kafkajs: { recordsPerSecond: number }; producerPerformance: { recordsPerSecond: number } };

/** A relay rate divided by each baseline's: 1 would mean the relay is as fast as that producer on the same broker. */
export const ratiosTo = (eventsPerSecond: number, baselines: Baselines) => ({
  toKafkajs: round(eventsPerSecond / baselines.kafkajs.recordsPerSecond, 3),
  toProducerPerformance: round(eventsPerSecond / baselines.producerPerformance.recordsPerSecond, 3),
});
