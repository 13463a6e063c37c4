import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Admin, type ITopicConfig } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { loadConfig } from '../../bridge/config';
import { createEventLog } from '../../bridge/eventLog';
import { TopicSettingsError } from '../../bridge/eventLog/errors';
import type { EventLog, TopicSpec } from '../../bridge/eventLog/port';
import { MAX_MESSAGE_BYTES } from '../../bridge/eventLog/topics';

const brokers = inject('kafkaBrokers');
/** The bridge's own log, configured as an operator would: KAFKA_PARTITIONS unset. */
const bridgeLog = (logger = pino({ level: 'silent' })): EventLog => createEventLog(loadConfig({ KAFKA_BROKERS: brokers, INTERNAL_SECRET: 'topics-test' }), logger);
/** Settings of a topic made by hand right, but for what a test changes. */
const HISTORY = { 'cleanup.policy': 'delete', 'retention.ms': '-1', 'retention.bytes': '-1', 'max.message.bytes': String(MAX_MESSAGE_BYTES) };
const TABLE = { 'cleanup.policy': 'compact', 'max.message.bytes': String(MAX_MESSAGE_BYTES) };

let admin: Admin;
beforeAll(async () => {
  admin = new Kafka({ clientId: 'topics-test', brokers: [brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
});
afterAll(() => admin.disconnect());

/** Creates topics by hand, as another tool or an earlier bridge might have. */
async function createByHand(topics: { topic: string; partitions: number; config: Record<string, string> }[]): Promise<void> {
  const made: ITopicConfig[] = topics.map(({ topic, partitions, config }) => ({
    topic,
    numPartitions: partitions,
    configEntries: Object.entries(config).map(([name, value]) => ({ name, value })),
  }));
  await retriable(() => admin.createTopics({ waitForLeaders: true, topics: made }));
  // Known to the broker's metadata, so the bridge finds them as existing topics.
  await retriable(() => admin.fetchTopicMetadata({ topics: topics.map((t) => t.topic) }));
}

/** Right after creating topics a loaded broker may not know them yet (retriable); asked again, they exist. */
async function retriable(run: () => Promise<unknown>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await run();
      return;
    } catch (error) {
      if (!(error as { retriable?: boolean }).retriable || attempt === 20) throw error;
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}

const partitionCounts = async (names: readonly string[]) =>
  Object.fromEntries((await admin.fetchTopicMetadata({ topics: [...names] })).topics.map((t) => [t.name, t.partitions.length]));

describe('the topics checked at start, on a real broker', () => {
  it('missing topics of every kind are created with 12 partitions, and pass the check, then and on the next start', async () => {
    const id = randomUUID().slice(0, 8);
    const specs: TopicSpec[] = [
      { name: `events-${id}`, kind: 'history' },
      { name: `sagas-${id}`, kind: 'compacted' },
      { name: `dlq-${id}`, kind: 'deadLetter' },
    ];
    const log = bridgeLog();
    expect(await log.ensureTopics(specs)).toEqual([]);
    await log.close();
    expect(await partitionCounts(specs.map((s) => s.name))).toEqual({ [`events-${id}`]: 12, [`sagas-${id}`]: 12, [`dlq-${id}`]: 12 });
    const again = bridgeLog();
    expect(await again.ensureTopics(specs)).toEqual([]);
    await again.close();
  });

  it('a keyed topic with another partition count, a table that is not compacted: refused, every problem named at once, and nothing created', async () => {
    const id = randomUUID().slice(0, 8);
    const [events, sagas, snapshots] = [`events-${id}`, `sagas-${id}`, `snapshots-${id}`];
    await createByHand([
      { topic: events, partitions: 4, config: HISTORY },
      { topic: sagas, partitions: 12, config: { ...TABLE, 'cleanup.policy': 'delete' } },
    ]);
    const log = bridgeLog();
    const started = log.ensureTopics([
      { name: events, kind: 'history' },
      { name: sagas, kind: 'compacted' },
      { name: snapshots, kind: 'compacted' },
    ]);
    await expect(started).rejects.toThrow(TopicSettingsError);
    await expect(started).rejects.toThrow(
      [
        'the topics do not have the settings the bridge needs; it will not start until they are fixed:',
        `  - ${events}: partitions is 4, expected 12 (KAFKA_PARTITIONS): keys are placed by hash modulo the partition count, and the SKU topics and the tables that follow them must share it, or a SKU's records and state land on partitions of different owners. ` +
          'Fix: set KAFKA_PARTITIONS=4 if the other topics have 4 partitions too; a topic cannot lose partitions, and adding some (kafka-topics.sh --alter --partitions) moves keys away from their earlier records',
        `  - ${sagas}: cleanup.policy is delete, expected compact: the latest record of each key (a saga's state, a SKU's snapshot) would expire instead of being kept. ` +
          `Fix: kafka-configs.sh --bootstrap-server ${brokers} --alter --entity-type topics --entity-name ${sagas} --add-config cleanup.policy=compact`,
      ].join('\n'),
    );
    await log.close();
    // Created with 12 partitions, it would leave no KAFKA_PARTITIONS under which the bridge could start.
    expect(await admin.listTopics()).not.toContain(snapshots);
  });

  it('a history that expires is refused with its retention named; once fixed with the suggested command, it passes', async () => {
    const id = randomUUID().slice(0, 8);
    const checkouts = `checkouts-${id}`;
    await createByHand([{ topic: checkouts, partitions: 12, config: { ...HISTORY, 'retention.ms': '604800000' } }]);
    const log = bridgeLog();
    const refused = (await log.ensureTopics([{ name: checkouts, kind: 'history' }]).catch((error: unknown) => error)) as TopicSettingsError;
    expect(refused.findings.map(({ severity, setting, found, expected }) => ({ severity, setting, found, expected }))).toEqual([
      { severity: 'refuse', setting: 'retention.ms', found: '604800000', expected: '-1' },
    ]);
    // As `kafka-configs.sh ... --add-config retention.ms=-1` leaves it (kafkajs's alterConfigs replaces every setting).
    const fixed = Object.entries({ ...HISTORY, 'retention.ms': '-1' }).map(([name, value]) => ({ name, value }));
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: checkouts, configEntries: fixed }] });
    // A change reaches the broker through the metadata log: the check sees it moments later (under load, seconds).
    await vi.waitFor(async () => expect(await log.ensureTopics([{ name: checkouts, kind: 'history' }])).toEqual([]), { timeout: 15_000, interval: 250 });
    await log.close();
  });

  it('lesser differences start the bridge, each warned of in its log', async () => {
    const id = randomUUID().slice(0, 8);
    const [dlq, events] = [`dlq-${id}`, `events-${id}`];
    // Broker defaults for the dead letters (3 partitions, a week's retention, a limit other than the bridge's).
    await createByHand([
      { topic: dlq, partitions: 3, config: {} },
      { topic: events, partitions: 12, config: { ...HISTORY, 'max.message.bytes': '2097152' } },
    ]);
    const lines: string[] = [];
    const log = bridgeLog(pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) }));
    const warnings = await log.ensureTopics([
      { name: dlq, kind: 'deadLetter' },
      { name: events, kind: 'history' },
    ]);
    await log.close();
    const summary = warnings.map((f) => `${f.severity} ${f.topic} ${f.setting} ${f.found}→${f.expected}`);
    expect(summary).toEqual([
      `warn ${dlq} partitions 3→12`,
      `warn ${dlq} retention.ms 604800000→-1`,
      `warn ${dlq} max.message.bytes 1048588→${MAX_MESSAGE_BYTES}`,
      `warn ${events} max.message.bytes 2097152→${MAX_MESSAGE_BYTES}`,
    ]);
    const logged = lines.map((line) => JSON.parse(line) as { level: number; msg: string; topic: string; setting: string });
    expect(logged.map((l) => [l.level, l.msg])).toEqual(warnings.map((f) => [40, f.message]));
  });
});
