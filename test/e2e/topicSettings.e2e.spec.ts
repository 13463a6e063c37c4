import { spawn } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain ESM script shared with `npm run kafka:start`
import { startKafka, stopKafka } from '../../scripts/kafka.mjs';
import { EVENTS_TOPIC, MAX_MESSAGE_BYTES, TOPICS } from '../../bridge/eventLog/topics';
import { freePort, startBridgeProcess, type ServiceProcess } from './support/processes';

/**
 * The bridge as operators run it, on a cluster whose inventory.events was made elsewhere with 4
 * partitions: it refuses to start, says why and how to fix it, exits non-zero at once rather than
 * retrying a mismatch no retry can fix, and starts once KAFKA_PARTITIONS matches.
 */
let broker: { brokers: string };
let bridge: ServiceProcess | undefined;
const env = () => ({ KAFKA_BROKERS: broker.brokers, INTERNAL_SECRET: 'topics-e2e-secret', EDGE_URL: 'http://127.0.0.1:9', SAGA: 'off', FEED: 'off', LOG_LEVEL: 'warn' });

beforeAll(async () => {
  broker = await startKafka();
  const admin = new Kafka({ clientId: 'topics-e2e', brokers: [broker.brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const settings = { 'cleanup.policy': 'delete', 'retention.ms': '-1', 'retention.bytes': '-1', 'max.message.bytes': String(MAX_MESSAGE_BYTES) };
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: EVENTS_TOPIC, numPartitions: 4, configEntries: Object.entries(settings).map(([name, value]) => ({ name, value })) }] });
  // Known to the broker's metadata before the bridge lists the topics (fetching throws a retriable error until then).
  for (let attempt = 1; !(await admin.fetchTopicMetadata({ topics: [EVENTS_TOPIC] }).then(() => true, () => attempt > 50)); attempt++) await new Promise((r) => setTimeout(r, 100));
  await admin.disconnect();
});

afterAll(async () => {
  await bridge?.kill('SIGTERM');
  if (broker) await stopKafka(broker);
});

/** Runs the bridge until it exits by itself (or `timeoutMs` passes: then it is killed and the test fails). */
function runUntilExit(extra: Record<string, string>, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bridge/main.ts'], { env: { ...process.env, ...env(), ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    }),
  );
}

describe('a bridge whose topics do not fit', () => {
  it('exits 1 with every mismatch named and its fix, without retrying', async () => {
    const { code, output } = await runUntilExit({ BRIDGE_PORT: String(await freePort()) }, 60_000);
    expect(code).toBe(1);
    const lines = output.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: number; msg: string; err?: { type: string; message: string } });
    expect(lines.filter((l) => l.msg.includes('retrying'))).toEqual([]);
    const fatal = lines.find((l) => l.level === 60)!;
    expect(fatal.msg).toBe('bridge failed to start');
    expect(fatal.err?.type).toBe('TopicSettingsError');
    expect(fatal.err?.message).toBe(
      'the topics do not have the settings the bridge needs; it will not start until they are fixed:\n' +
        "  - inventory.events: partitions is 4, expected 12 (KAFKA_PARTITIONS): keys are placed by hash modulo the partition count, and the SKU topics and the tables that follow them must share it, or a SKU's records and state land on partitions of different owners. " +
        'Fix: set KAFKA_PARTITIONS=4 if the other topics have 4 partitions too; a topic cannot lose partitions, and adding some (kafka-topics.sh --alter --partitions) moves keys away from their earlier records',
    );
  });

  it('starts with KAFKA_PARTITIONS=4, the fix it named, and creates the other topics with 4 partitions', async () => {
    bridge = await startBridgeProcess({ ...env(), BRIDGE_PORT: String(await freePort()), KAFKA_PARTITIONS: '4' });
    const admin = new Kafka({ clientId: 'topics-e2e-check', brokers: [broker.brokers], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const { topics } = await admin.fetchTopicMetadata({ topics: TOPICS.map((t) => t.name) });
    await admin.disconnect();
    expect(Object.fromEntries(topics.map((t) => [t.name, t.partitions.length]))).toEqual({
      'inventory.events': 4,
      'inventory.checkouts': 4,
      'inventory.snapshots': 4,
      'inventory.saga-state': 4,
      'inventory.feed-control': 4,
      'inventory.feed-state': 4,
      'inventory.archive-state': 4,
      'inventory.dlq': 4,
    });
  });
});
