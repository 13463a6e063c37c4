import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Kafka } from 'kafkajs';
import { createTopic } from './baselineTopic';
import { round } from './figures';

// Where `npm run kafka:fetch` puts the broker's jars, the tool's among them.
const KAFKA_LIBS = join(import.meta.dirname, '..', '..', '.cache', 'kafka', 'libs');

const PERF_SUMMARY =
  /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th/;

/** Kafka's own producer benchmark (Java client, acks=all), on the broker's jars. */
export async function producerPerformance(brokers: string, kafka: Kafka, records: number, bytes: number) {
  const topic = 'bench.producer-perf';
  await createTopic(kafka, topic);
  const { stdout } = await promisify(execFile)(
    'java',
    [
      '-Xmx256m',
      '-cp',
      `${KAFKA_LIBS}/*`,
      'org.apache.kafka.tools.ProducerPerformance',
      ...['--topic', topic, '--num-records', String(records), '--record-size', String(bytes), '--throughput', '-1'],
      ...['--producer-props', `bootstrap.servers=${brokers}`, 'acks=all'],
    ],
    { maxBuffer: 16 * 1024 * 1024, timeout: 600_000 },
  );
  // Progress lines come every 5 s; the summary is the only one with percentiles.
  const match = stdout.split('\n').map((line) => PERF_SUMMARY.exec(line)).findLast((m) => m !== null);
  if (!match) throw new Error(`no summary line in ProducerPerformance output:\n${stdout.slice(-2000)}`);
  return {
    records: Number(match[1]),
    recordBytes: bytes,
    recordsPerSecond: round(Number(match[2])),
    avgLatencyMs: Number(match[4]),
    p99LatencyMs: Number(match[8]),
  };
}
