import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TopicKind, TopicSpec } from '../../../bridge/eventLog/port';
import { CHECKOUTS_TOPIC, DLQ_TOPIC, EVENTS_TOPIC, MAX_MESSAGE_BYTES, SAGAS_TOPIC, SNAPSHOTS_TOPIC, TOPICS } from '../../../bridge/eventLog/topics';
import {
  CHECKED_SETTINGS,
  checkTopic,
  checkTopics,
  COMPACTED_SEGMENT_MS,
  retentionFor,
  topicConfig,
  type DescribedTopic,
  type Wanted,
} from '../../../bridge/eventLog/topicSettings';

const KINDS: readonly TopicKind[] = ['history', 'compacted', 'deadLetter'];
const wanted: Wanted = { partitions: 12, replicationFactor: 3, bootstrap: 'kafka-1:9093', historyRetentionMs: -1 };
/** What a stock broker reports for a setting a topic does not set. */
const BROKER_DEFAULTS = {
  'cleanup.policy': 'delete',
  'retention.ms': '604800000',
  'retention.bytes': '-1',
  'min.insync.replicas': '1',
  'max.message.bytes': '1048588',
  'segment.ms': '604800000',
  'min.cleanable.dirty.ratio': '0.5',
};
/** A week: a finite EVENTS_RETENTION_MS. */
const WEEK_MS = 604_800_000;

/**
 * A topic as the bridge creates it (with `historyRetentionMs`, -1 unless given), as the cluster then
 * describes it; `changes` overrides its settings (undefined: the cluster reports none).
 */
function created(
  spec: TopicSpec,
  options: { partitions?: number; replicas?: number; historyRetentionMs?: number; changes?: Record<string, string | undefined> } = {},
): DescribedTopic {
  const replicas = options.replicas ?? 3;
  const config = topicConfig(spec.kind, replicas, retentionFor(spec, options.historyRetentionMs ?? -1));
  return { name: spec.name, partitions: options.partitions ?? 12, replicas, config: { ...BROKER_DEFAULTS, ...config, ...options.changes } };
}
const spec = (name: string) => TOPICS.find((t) => t.name === name)!;
const alter = (topic: string, setting: string) =>
  `kafka-configs.sh --bootstrap-server kafka-1:9093 --alter --entity-type topics --entity-name ${topic} --add-config ${setting}`;

describe('existing topics checked against what the bridge needs', () => {
  it('a topic of any kind as the bridge creates it passes, whatever its partition count, replicas, bound and retention', () => {
    const retentions = fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 2 ** 40 }));
    fc.assert(
      fc.property(fc.constantFrom(...KINDS), fc.boolean(), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 5 }), retentions, (kind, bounded, partitions, replicas, historyRetentionMs) => {
        const topic = { name: 't', kind, bounded };
        const config = { partitions, replicationFactor: replicas, bootstrap: 'b:9092', historyRetentionMs };
        expect(checkTopic(topic, created(topic, { partitions, replicas, historyRetentionMs }), config)).toEqual([]);
      }),
    );
  });

  it('a keyed topic (history or table) with another partition count than configured is refused; a dead-letter topic only warned of', () => {
    fc.assert(
      fc.property(fc.constantFrom(...KINDS), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 64 }), (kind, found, configured) => {
        fc.pre(found !== configured);
        const topic = { name: 't', kind };
        const findings = checkTopic(topic, created(topic, { partitions: found }), { ...wanted, partitions: configured });
        expect(findings.map((f) => [f.setting, f.severity, f.found])).toEqual([['partitions', kind === 'deadLetter' ? 'warn' : 'refuse', String(found)]]);
      }),
    );
  });

  it('names the topic, the setting, what was found, what is expected and the fix', () => {
    expect(checkTopic(spec(EVENTS_TOPIC), created(spec(EVENTS_TOPIC), { partitions: 4 }), wanted)).toEqual([
      {
        severity: 'refuse',
        topic: EVENTS_TOPIC,
        setting: 'partitions',
        found: '4',
        expected: '12 (KAFKA_PARTITIONS)',
        message:
          "inventory.events: partitions is 4, expected 12 (KAFKA_PARTITIONS): keys are placed by hash modulo the partition count, and the SKU topics and the tables that follow them must share it, or a SKU's records and state land on partitions of different owners. " +
          'Fix: set KAFKA_PARTITIONS=4 if the other topics have 4 partitions too; a topic cannot lose partitions, and adding some (kafka-topics.sh --alter --partitions) moves keys away from their earlier records',
      },
    ]);
  });

  it('the events and saga topics with different partition counts: no KAFKA_PARTITIONS lets the bridge start', () => {
    const described = new Map([
      [EVENTS_TOPIC, created(spec(EVENTS_TOPIC), { partitions: 12 })],
      [SAGAS_TOPIC, created(spec(SAGAS_TOPIC), { partitions: 4 })],
    ]);
    const refused = (partitions: number) => checkTopics(TOPICS, described, { ...wanted, partitions }).map((f) => `${f.severity} ${f.topic} ${f.setting}`);
    expect(refused(12)).toEqual([`refuse ${SAGAS_TOPIC} partitions`]);
    expect(refused(4)).toEqual(['refuse inventory.events partitions']);
  });

  it('a history that compacts or expires is refused, every problem at once', () => {
    const findings = checkTopic(
      spec(CHECKOUTS_TOPIC),
      created(spec(CHECKOUTS_TOPIC), { changes: { 'cleanup.policy': 'compact,delete', 'retention.ms': '604800000', 'retention.bytes': '1073741824' } }),
      wanted,
    );
    expect(findings.map(({ severity, setting, found, expected }) => ({ severity, setting, found, expected }))).toEqual([
      { severity: 'refuse', setting: 'cleanup.policy', found: 'compact,delete', expected: 'delete' },
      { severity: 'refuse', setting: 'retention.ms', found: '604800000', expected: '-1' },
      { severity: 'refuse', setting: 'retention.bytes', found: '1073741824', expected: '-1' },
    ]);
    expect(findings[0]!.message).toBe(
      'inventory.checkouts: cleanup.policy is compact,delete, expected delete: compaction keeps only the latest record of each key, and a history must keep every event. ' +
        `Fix: ${alter(CHECKOUTS_TOPIC, 'cleanup.policy=delete')}`,
    );
    expect(findings[1]!.message).toBe(
      `inventory.checkouts: retention.ms is 604800000, expected -1: older events would be deleted, and a history must never expire. Fix: ${alter(CHECKOUTS_TOPIC, 'retention.ms=-1')}`,
    );
  });

  it('a table that is not compacted, or also expires by age, is refused; compact,delete that never expires passes', () => {
    const check = (changes: Record<string, string>) => checkTopic(spec(SNAPSHOTS_TOPIC), created(spec(SNAPSHOTS_TOPIC), { changes }), wanted);
    expect(check({ 'cleanup.policy': 'delete' })).toEqual([
      {
        severity: 'refuse',
        topic: SNAPSHOTS_TOPIC,
        setting: 'cleanup.policy',
        found: 'delete',
        expected: 'compact',
        message: `inventory.snapshots: cleanup.policy is delete, expected compact: the latest record of each key (a saga's state, a SKU's snapshot) would expire instead of being kept. Fix: ${alter(SNAPSHOTS_TOPIC, 'cleanup.policy=compact')}`,
      },
    ]);
    expect(check({ 'cleanup.policy': 'compact,delete' }).map((f) => [f.severity, f.message])).toEqual([
      [
        'refuse',
        `inventory.snapshots: cleanup.policy is compact,delete, expected compact: with delete as well, a key's latest record expires (retention.ms 604800000, retention.bytes -1). Fix: ${alter(SNAPSHOTS_TOPIC, 'cleanup.policy=compact')}`,
      ],
    ]);
    expect(check({ 'cleanup.policy': 'compact,delete', 'retention.ms': '-1' })).toEqual([]);
  });

  it('dead letters that compact, expire or differ in partitions are warned of, never refused', () => {
    const findings = checkTopic(spec(DLQ_TOPIC), created(spec(DLQ_TOPIC), { partitions: 1, changes: { 'cleanup.policy': 'compact', 'retention.ms': '86400000' } }), wanted);
    expect(findings.map((f) => `${f.severity} ${f.setting} ${f.found}→${f.expected}`)).toEqual([
      'warn partitions 1→12',
      'warn cleanup.policy compact→delete',
      'warn retention.ms 86400000→-1',
    ]);
  });

  it('min.insync.replicas below min(2, replicas), or above the replicas, and fewer replicas than configured are warned of', () => {
    const events = spec(EVENTS_TOPIC);
    const check = (replicas: number, minIsr: string) => checkTopic(events, created(events, { replicas, changes: { 'min.insync.replicas': minIsr } }), wanted);
    expect(check(3, '1')).toEqual([
      {
        severity: 'warn',
        topic: EVENTS_TOPIC,
        setting: 'min.insync.replicas',
        found: '1',
        expected: '2',
        message: `inventory.events: min.insync.replicas is 1, expected 2: acks=all is then acknowledged by fewer replicas than the topic's 3 can give: one broker lost can lose acknowledged records. Fix: ${alter(EVENTS_TOPIC, 'min.insync.replicas=2')}`,
      },
    ]);
    expect(check(3, '3')).toEqual([]);
    expect(check(2, '3').map((f) => f.message)).toEqual([
      `inventory.events: min.insync.replicas is 3, expected 2: more than the topic's 2 replica(s): no append can be acknowledged. Fix: ${alter(EVENTS_TOPIC, 'min.insync.replicas=2')}`,
      'inventory.events: replicas is 2, expected 3: fewer copies than configured (KAFKA_REPLICATION_FACTOR, or min(3, brokers)). Fix: add replicas with kafka-reassign-partitions.sh --bootstrap-server kafka-1:9093 --execute --reassignment-json-file <plan>',
    ]);
    expect(check(1, '1').map((f) => `${f.severity} ${f.setting} ${f.found}→${f.expected}`)).toEqual(['warn replicas 1→3']);
  });

  it('a max.message.bytes other than the one the bridge sizes its records for is warned of', () => {
    const events = spec(EVENTS_TOPIC);
    const findings = checkTopic(events, created(events, { changes: { 'max.message.bytes': '1048588' } }), wanted);
    expect(findings.map((f) => `${f.severity} ${f.setting} ${f.found}→${f.expected}`)).toEqual([`warn max.message.bytes 1048588→${MAX_MESSAGE_BYTES}`]);
  });

  it('only the events history is bounded; it alone is created with the configured retention, and never cut by size', () => {
    expect(TOPICS.filter((t) => t.bounded).map((t) => t.name)).toEqual([EVENTS_TOPIC]);
    const createdWith = (name: string, historyRetentionMs: number) => topicConfig(spec(name).kind, 3, retentionFor(spec(name), historyRetentionMs));
    expect(createdWith(EVENTS_TOPIC, WEEK_MS)).toMatchObject({ 'cleanup.policy': 'delete', 'retention.ms': String(WEEK_MS), 'retention.bytes': '-1' });
    expect(createdWith(EVENTS_TOPIC, -1)).toMatchObject({ 'retention.ms': '-1', 'retention.bytes': '-1' });
    expect(createdWith(CHECKOUTS_TOPIC, WEEK_MS)).toMatchObject({ 'retention.ms': '-1', 'retention.bytes': '-1' });
    expect(createdWith(DLQ_TOPIC, WEEK_MS)).toMatchObject({ 'retention.ms': '-1' });
    expect(createdWith(SNAPSHOTS_TOPIC, WEEK_MS)).not.toHaveProperty('retention.ms');
    expect(topicConfig('history', 3)['retention.ms']).toBe('-1');
  });

  it('a bounded history that keeps its events less long than configured is refused; longer, or forever, only warned of', () => {
    const events = spec(EVENTS_TOPIC);
    const bounded = { ...wanted, historyRetentionMs: WEEK_MS };
    const check = (retentionMs: string | undefined) => checkTopic(events, created(events, { historyRetentionMs: WEEK_MS, changes: { 'retention.ms': retentionMs } }), bounded);
    const fix = `Fix: ${alter(EVENTS_TOPIC, `retention.ms=${WEEK_MS}`)}`;
    expect(check(String(WEEK_MS))).toEqual([]);
    expect(check('86400000')).toEqual([
      {
        severity: 'refuse',
        topic: EVENTS_TOPIC,
        setting: 'retention.ms',
        found: '86400000',
        expected: `${WEEK_MS} (EVENTS_RETENTION_MS)`,
        message: `inventory.events: retention.ms is 86400000, expected ${WEEK_MS} (EVENTS_RETENTION_MS): events would expire sooner than configured, maybe before a lagging consumer or the archive has read them. ${fix}`,
      },
    ]);
    expect(check(String(WEEK_MS - 1)).map((f) => f.severity)).toEqual(['refuse']);
    expect(check('0').map((f) => f.severity)).toEqual(['refuse']);
    expect(check(undefined).map((f) => `${f.severity} ${f.found}`)).toEqual(['refuse (unset)']);
    expect(check(String(WEEK_MS + 1)).map((f) => [f.severity, f.message])).toEqual([
      ['warn', `inventory.events: retention.ms is ${WEEK_MS + 1}, expected ${WEEK_MS} (EVENTS_RETENTION_MS): Kafka keeps more than configured; disk grows. ${fix}`],
    ]);
    expect(check('-1').map((f) => `${f.severity} ${f.setting} ${f.found}→${f.expected}`)).toEqual([`warn retention.ms -1→${WEEK_MS} (EVENTS_RETENTION_MS)`]);
    // A size limit cuts the oldest events whatever the retention: refused as before.
    expect(checkTopic(events, created(events, { historyRetentionMs: WEEK_MS, changes: { 'retention.bytes': '1073741824' } }), bounded).map((f) => `${f.severity} ${f.setting}`)).toEqual([
      'refuse retention.bytes',
    ]);
  });

  it('a history that is not bounded, or a bounded one configured to keep everything, is refused any finite retention', () => {
    const finite = { changes: { 'retention.ms': String(2 * WEEK_MS) } };
    // However long, and whatever EVENTS_RETENTION_MS says: only the bounded events topic has an archive behind it.
    expect(checkTopic(spec(CHECKOUTS_TOPIC), created(spec(CHECKOUTS_TOPIC), finite), { ...wanted, historyRetentionMs: WEEK_MS }).map((f) => `${f.severity} ${f.found}→${f.expected}`)).toEqual([
      `refuse ${2 * WEEK_MS}→-1`,
    ]);
    expect(checkTopic(spec(CHECKOUTS_TOPIC), created(spec(CHECKOUTS_TOPIC), { historyRetentionMs: WEEK_MS }), { ...wanted, historyRetentionMs: WEEK_MS })).toEqual([]);
    const findings = checkTopic(spec(EVENTS_TOPIC), created(spec(EVENTS_TOPIC), finite), wanted);
    expect(findings.map((f) => [f.severity, f.message])).toEqual([
      [
        'refuse',
        `inventory.events: retention.ms is ${2 * WEEK_MS}, expected -1: older events would be deleted, and EVENTS_RETENTION_MS (-1) keeps them forever. Fix: ${alter(EVENTS_TOPIC, 'retention.ms=-1')}`,
      ],
    ]);
  });

  it('a table that closes a segment rarely or never (Kafka defaults to 7 days) is warned of, not refused; up to a day passes', () => {
    const snapshots = spec(SNAPSHOTS_TOPIC);
    const check = (segmentMs: string | undefined) => checkTopic(snapshots, created(snapshots, { changes: { 'segment.ms': segmentMs } }), wanted);
    expect(check(undefined)).toEqual([
      {
        severity: 'warn',
        topic: SNAPSHOTS_TOPIC,
        setting: 'segment.ms',
        found: '(unset)',
        expected: '3600000',
        message: `inventory.snapshots: segment.ms is (unset), expected 3600000: compaction never touches the open segment, so dead records stay (and are read by every restore) until it closes. Fix: ${alter(SNAPSHOTS_TOPIC, 'segment.ms=3600000')}`,
      },
    ]);
    expect(check('604800000').map((f) => `${f.severity} ${f.setting} ${f.found}→${f.expected}`)).toEqual(['warn segment.ms 604800000→3600000']);
    expect(check('86400001').map((f) => f.severity)).toEqual(['warn']);
    expect(check('86400000')).toEqual([]);
    expect(check('600000')).toEqual([]);
    // Not a table's concern for a history or dead letters.
    expect(checkTopic(spec(CHECKOUTS_TOPIC), created(spec(CHECKOUTS_TOPIC), { changes: { 'segment.ms': undefined } }), wanted)).toEqual([]);
    expect(checkTopic(spec(DLQ_TOPIC), created(spec(DLQ_TOPIC), { changes: { 'segment.ms': undefined } }), wanted)).toEqual([]);
  });

  it('a table is created to compact hourly: segment.ms 1 h, min.cleanable.dirty.ratio 0.1, no compaction lag; the check asks for both settings', () => {
    expect(COMPACTED_SEGMENT_MS).toBe(3_600_000);
    expect(topicConfig('compacted', 3)).toMatchObject({ 'cleanup.policy': 'compact', 'segment.ms': '3600000', 'min.cleanable.dirty.ratio': '0.1', 'min.compaction.lag.ms': '0' });
    expect(topicConfig('history', 3)).not.toHaveProperty('segment.ms');
    expect(CHECKED_SETTINGS).toEqual(expect.arrayContaining(['segment.ms', 'min.cleanable.dirty.ratio']));
  });

  it('a topic that is not described yet (about to be created) has no findings', () => {
    expect(checkTopics(TOPICS, new Map([[SNAPSHOTS_TOPIC, created(spec(SNAPSHOTS_TOPIC), { partitions: 3 })]]), wanted).map((f) => f.topic)).toEqual([SNAPSHOTS_TOPIC]);
  });
});
