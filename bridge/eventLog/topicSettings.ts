/**
 * What the bridge needs of a topic of each kind, and how an existing topic differs from it: one
 * definition for the topics the bridge creates and for those it finds. Pure; the Kafka adapter
 * describes the topics and applies it. Why a finding refuses or warns: docs/adr/0005-kafka-topic-settings.md.
 */
import type { Severity, TopicFinding, TopicKind, TopicSpec } from './port';
import { MAX_MESSAGE_BYTES } from './topics';

/** The partition count of every topic the bridge creates unless `KAFKA_PARTITIONS` says otherwise. */
export const DEFAULT_PARTITIONS = 12;

/** A topic as the cluster describes it: its partition count, its replicas (the fewest of any partition) and its effective settings. */
export type DescribedTopic = { name: string; partitions: number; replicas: number; config: Readonly<Record<string, string | undefined>> };

/**
 * What the bridge is configured for; `bootstrap` only makes the suggested commands ready to paste.
 * `historyRetentionMs` (EVENTS_RETENTION_MS): how long a bounded history keeps its records, -1 forever.
 */
export type Wanted = { partitions: number; replicationFactor: number; bootstrap: string; historyRetentionMs: number };

/** A compacted topic's segments close hourly: Kafka never compacts the open segment, and its default (`segment.ms` 7 days) left tables uncompacted for days. */
export const COMPACTED_SEGMENT_MS = 3_600_000;
/** Past a day a compacted topic's `segment.ms` is warned of: its dead records (and a restore's reading of them) pile up until its segment closes. */
export const MAX_COMPACTED_SEGMENT_MS = 86_400_000;
/** Compaction runs once a tenth of a table is dead records, not Kafka's half: tables stay small and a partition's state restores fast. */
export const COMPACTED_MIN_CLEANABLE_DIRTY_RATIO = '0.1';

/**
 * The `retention.ms` a topic of `spec` gets: -1 (forever) but for a bounded history, whose records
 * the archive in object storage keeps, so Kafka may let them go after `historyRetentionMs`.
 */
export function retentionFor(spec: TopicSpec, historyRetentionMs: number): number {
  return spec.kind === 'history' && spec.bounded === true ? historyRetentionMs : -1;
}

/**
 * A history keeps its events `historyRetentionMs` (-1, the default: forever; finite only for a bounded
 * history, see `retentionFor`) and is never cut by size; a table keeps every key's latest record and
 * closes a segment hourly so that compaction runs.
 */
export function topicConfig(kind: TopicKind, replicas: number, historyRetentionMs = -1): Record<string, string> {
  const common = {
    'max.message.bytes': String(MAX_MESSAGE_BYTES),
    // `acks=all` waits for the in-sync replicas only: two of them, where there are two.
    'min.insync.replicas': String(minInsyncReplicas(replicas)),
  };
  switch (kind) {
    case 'history':
      return { ...common, 'cleanup.policy': 'delete', 'retention.ms': String(historyRetentionMs), 'retention.bytes': '-1' };
    case 'compacted':
      // Tombstones (null values) delete a key; compaction drops them after `delete.retention.ms` (1 day).
      return {
        ...common,
        'cleanup.policy': 'compact',
        'min.compaction.lag.ms': '0',
        'segment.ms': String(COMPACTED_SEGMENT_MS),
        'min.cleanable.dirty.ratio': COMPACTED_MIN_CLEANABLE_DIRTY_RATIO,
      };
    case 'deadLetter':
      return { ...common, 'cleanup.policy': 'delete', 'retention.ms': '-1' };
  }
}

/**
 * The settings the adapter asks the cluster for: those `checkTopic` reads, and
 * `min.cleanable.dirty.ratio`, described but not checked (it tunes compaction, it breaks nothing).
 */
export const CHECKED_SETTINGS = [
  'cleanup.policy',
  'retention.ms',
  'retention.bytes',
  'min.insync.replicas',
  'max.message.bytes',
  'segment.ms',
  'min.cleanable.dirty.ratio',
] as const;

const minInsyncReplicas = (replicas: number) => Math.min(2, replicas);
/** A setting's value as a whole number (`-1` included), or null when unset or anything else. */
const wholeNumber = (value: string): number | null => (/^-?\d+$/.test(value.trim()) ? Number(value) : null);

/**
 * Every way `topic` differs from what a topic of `spec.kind` needs. Keyed kinds (history, compacted)
 * must have exactly the configured partition count: the SKU topics and the tables that follow them
 * are co-partitioned, so a SKU's events, saga state and snapshot share a partition number.
 */
export function checkTopic(spec: TopicSpec, topic: DescribedTopic, wanted: Wanted): TopicFinding[] {
  const findings: TopicFinding[] = [];
  const keyed = spec.kind !== 'deadLetter';
  const alter = (setting: string, value: string) =>
    `kafka-configs.sh --bootstrap-server ${wanted.bootstrap} --alter --entity-type topics --entity-name ${spec.name} --add-config ${setting}=${value}`;
  const add = (severity: Severity, setting: string, found: string, expected: string, why: string, fix: string) =>
    findings.push({ severity, topic: spec.name, setting, found, expected, message: `${spec.name}: ${setting} is ${found}, expected ${expected}: ${why}. Fix: ${fix}` });
  const setting = (name: (typeof CHECKED_SETTINGS)[number]) => topic.config[name] ?? '(unset)';

  if (topic.partitions !== wanted.partitions) {
    const found = String(topic.partitions);
    if (keyed) {
      add('refuse', 'partitions', found, `${wanted.partitions} (KAFKA_PARTITIONS)`,
        'keys are placed by hash modulo the partition count, and the SKU topics and the tables that follow them must share it, or a SKU\'s records and state land on partitions of different owners',
        `set KAFKA_PARTITIONS=${found} if the other topics have ${found} partitions too; a topic cannot lose partitions, and adding some (kafka-topics.sh --alter --partitions) moves keys away from their earlier records`);
    } else {
      add('warn', 'partitions', found, String(wanted.partitions), 'dead letters are read whole, so nothing breaks',
        `nothing needed; to match, recreate the topic with kafka-topics.sh --bootstrap-server ${wanted.bootstrap} --create --topic ${spec.name} --partitions ${wanted.partitions}`);
    }
  }

  const policy = new Set(setting('cleanup.policy').split(',').map((p) => p.trim()));
  const retention = { ms: setting('retention.ms'), bytes: setting('retention.bytes') };
  switch (spec.kind) {
    case 'history': {
      if (policy.has('compact')) {
        add('refuse', 'cleanup.policy', setting('cleanup.policy'), 'delete', 'compaction keeps only the latest record of each key, and a history must keep every event', alter('cleanup.policy', 'delete'));
      }
      const keep = retentionFor(spec, wanted.historyRetentionMs);
      const found = wholeNumber(retention.ms);
      if (keep === -1) {
        if (found !== -1) {
          const why = spec.bounded ? 'older events would be deleted, and EVENTS_RETENTION_MS (-1) keeps them forever' : 'older events would be deleted, and a history must never expire';
          add('refuse', 'retention.ms', retention.ms, '-1', why, alter('retention.ms', '-1'));
        }
      } else if (found === null || (found !== -1 && found < keep)) {
        add('refuse', 'retention.ms', retention.ms, `${keep} (EVENTS_RETENTION_MS)`,
          'events would expire sooner than configured, maybe before a lagging consumer or the archive has read them', alter('retention.ms', String(keep)));
      } else if (found === -1 || found > keep) {
        add('warn', 'retention.ms', retention.ms, `${keep} (EVENTS_RETENTION_MS)`, 'Kafka keeps more than configured; disk grows', alter('retention.ms', String(keep)));
      }
      if (retention.bytes !== '-1') add('refuse', 'retention.bytes', retention.bytes, '-1', 'the oldest events would be deleted past that size, and a history must never expire', alter('retention.bytes', '-1'));
      break;
    }
    case 'compacted':
      if (!policy.has('compact')) {
        add('refuse', 'cleanup.policy', setting('cleanup.policy'), 'compact', 'the latest record of each key (a saga\'s state, a SKU\'s snapshot) would expire instead of being kept', alter('cleanup.policy', 'compact'));
      } else if (policy.has('delete') && (retention.ms !== '-1' || retention.bytes !== '-1')) {
        add('refuse', 'cleanup.policy', setting('cleanup.policy'), 'compact',
          `with delete as well, a key's latest record expires (retention.ms ${retention.ms}, retention.bytes ${retention.bytes})`, alter('cleanup.policy', 'compact'));
      }
      if (!((wholeNumber(setting('segment.ms')) ?? Infinity) <= MAX_COMPACTED_SEGMENT_MS)) {
        add('warn', 'segment.ms', setting('segment.ms'), String(COMPACTED_SEGMENT_MS),
          'compaction never touches the open segment, so dead records stay (and are read by every restore) until it closes', alter('segment.ms', String(COMPACTED_SEGMENT_MS)));
      }
      break;
    case 'deadLetter':
      if (policy.has('compact')) add('warn', 'cleanup.policy', setting('cleanup.policy'), 'delete', 'compaction keeps only the latest dead letter of each key', alter('cleanup.policy', 'delete'));
      if (retention.ms !== '-1') add('warn', 'retention.ms', retention.ms, '-1', 'dead letters would expire before anyone looks at them', alter('retention.ms', '-1'));
      if (retention.bytes !== '-1') add('warn', 'retention.bytes', retention.bytes, '-1', 'the oldest dead letters would be deleted past that size', alter('retention.bytes', '-1'));
      break;
  }

  const minIsr = Number(setting('min.insync.replicas'));
  const wantedIsr = minInsyncReplicas(topic.replicas);
  if (!(minIsr >= wantedIsr)) {
    add('warn', 'min.insync.replicas', setting('min.insync.replicas'), String(wantedIsr), `acks=all is then acknowledged by fewer replicas than the topic's ${topic.replicas} can give: one broker lost can lose acknowledged records`, alter('min.insync.replicas', String(wantedIsr)));
  } else if (minIsr > topic.replicas) {
    add('warn', 'min.insync.replicas', setting('min.insync.replicas'), String(wantedIsr), `more than the topic's ${topic.replicas} replica(s): no append can be acknowledged`, alter('min.insync.replicas', String(wantedIsr)));
  }
  if (topic.replicas < wanted.replicationFactor) {
    add('warn', 'replicas', String(topic.replicas), String(wanted.replicationFactor), 'fewer copies than configured (KAFKA_REPLICATION_FACTOR, or min(3, brokers))',
      `add replicas with kafka-reassign-partitions.sh --bootstrap-server ${wanted.bootstrap} --execute --reassignment-json-file <plan>`);
  }
  const maxBytes = String(MAX_MESSAGE_BYTES);
  if (setting('max.message.bytes') !== maxBytes) {
    add('warn', 'max.message.bytes', setting('max.message.bytes'), maxBytes, 'the bridge sizes its records and produce requests for that limit, so a smaller one refuses records it accepted', alter('max.message.bytes', maxBytes));
  }
  return findings;
}

/** Every topic's findings, in the order of `specs`; a spec without a described topic is left out (it is about to be created). */
export function checkTopics(specs: readonly TopicSpec[], described: ReadonlyMap<string, DescribedTopic>, wanted: Wanted): TopicFinding[] {
  return specs.flatMap((spec) => {
    const topic = described.get(spec.name);
    return topic ? checkTopic(spec, topic, wanted) : [];
  });
}
