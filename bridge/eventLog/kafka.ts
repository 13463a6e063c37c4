import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Admin, type Consumer, type KafkaConfig, type Message, type Producer } from 'kafkajs';
import type { Logger } from '../logger';
import { LogOverloadedError, RecordTooLargeError, TopicSettingsError } from './errors';
import { describeMembers } from './kafkaMembers';
import { startOwnedGroup } from './kafkaOwned';
import type { LogRecord, ConsumedRecord, ConsumedTableRecord, EventLog, GroupMember, LogHealth, OwnedSubscribe, Subscribe, Subscription, TopicFinding, TopicSpec } from './port';
import { MAX_MESSAGE_BYTES } from './topics';
import { CHECKED_SETTINGS, checkTopics, retentionFor, topicConfig, type DescribedTopic, type Wanted } from './topicSettings';

/**
 * kafkajs's ConfigResourceTypes.TOPIC. kafkajs is CommonJS, and Node's ESM loader finds only
 * some of its named exports (not this one): importing it by name fails when the bridge runs as a
 * process, although bundled test runs accept it.
 */
const TOPIC_RESOURCE = 2;

export type KafkaOptions = {
  brokers: readonly string[];
  clientId: string;
  /** -1: three replicas, or one per broker on a smaller cluster. */
  replicationFactor: number;
  /** Of every topic the bridge creates, and required of the keyed topics it finds (KAFKA_PARTITIONS). */
  partitions: number;
  /** How long a bounded history (`TopicSpec.bounded`) keeps its records (EVENTS_RETENTION_MS); -1, the default: forever. */
  historyRetentionMs?: number;
  /** TLS and SASL for a real cluster (`kafkaSecurity.ts`); none on loopback. */
  security?: Pick<KafkaConfig, 'ssl' | 'sasl'>;
  logger: Logger;
  /** kafkajs's client-side timeout of a produce request; tests make it tiny to force timeouts. */
  produceRequestTimeoutMs?: number;
};

/** One caller's append: resolved once all its parts are acknowledged, rejected as soon as one fails. */
type Caller = { parts: number; failed: boolean; resolve: () => void; reject: (error: unknown) => void };
/** A slice of one append that fits in one produce request; a caller's parts are queued in order. */
type Part = { topic: string; records: readonly LogRecord[]; bytes: number; caller: Caller };

/**
 * Parts coalesced into one produce request: below MAX_MESSAGE_BYTES, so that no partition's
 * record batch in it can exceed the topic's limit. A single record up to the limit goes alone.
 */
const MAX_SEND_BYTES = 768 * 1024;
/** While Kafka is away pushes keep coming (and retrying): past this, refuse at once rather than queue. */
const MAX_QUEUED_BYTES = 64 * 1024 * 1024;
/** What a refusal for a full queue asks the caller to wait before retrying. */
const OVERLOADED_RETRY_AFTER_SECONDS = 2;
/** Kafka's framing around the key, value and headers: an upper bound, so the size check errs on the safe side. */
const RECORD_OVERHEAD_BYTES = 64;
const HEADER_OVERHEAD_BYTES = 16;
const BATCH_OVERHEAD_BYTES = 128;
/**
 * Broker refusals that concern the records of one partition, not the cluster: the whole produce
 * request fails with them, so its appends are sent again one by one to find the culprit.
 */
const RECORD_REJECTIONS = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'CORRUPT_MESSAGE', 'INVALID_TIMESTAMP', 'POLICY_VIOLATION']);

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/**
 * What one fetch of a consumer may bring in all. kafkajs decodes a whole fetch before handling
 * its first batch and keeps it until the last is handled: with its default (10 MiB, so 1 MiB from
 * each partition) a consumer catching up held up to 4 MiB of records, several times that in
 * objects, long enough for V8 to promote them to its old generation. One partition's worth is no
 * slower for consumers that handle batches one by one (the relay benchmark ran faster with it).
 * No partition starves: kafkajs shuffles the partitions of every fetch, and the broker returns the
 * first partition's first batch whole, whatever its size (KIP-74).
 */
const FETCH_MAX_BYTES = MAX_MESSAGE_BYTES;

/** How long `subscribe` waits for the group to join and fetch once, so "from the end" means from now. */
const FIRST_FETCH_TIMEOUT_MS = 60_000;
/** The longest wait between attempts to replace a consumer kafkajs gave up on. */
const CONSUMER_RESTART_MAX_MS = 30_000;
/** Below kafkajs's default session timeout (30 s) with room to spare; kafkajs throttles heartbeats itself. */
const HEARTBEAT_WHILE_HANDLING_MS = 3_000;

type ConsumeOptions = Subscribe & {
  onBatch: (records: ConsumedTableRecord[]) => Promise<void>;
  /** Every batch's last offset, one of control records (a transaction's marker) included. */
  onBatchEnd?: (partition: number, lastOffset: string) => void;
};
const HEALTH_TIMEOUT_MS = 3_000;

export class KafkaEventLog implements EventLog {
  readonly #kafka: Kafka;
  readonly #options: KafkaOptions;
  readonly #log: Logger;
  readonly #subscriptions = new Set<Subscription>();
  /** Topic → whether it is compacted: a few topics, asked once each. */
  readonly #kinds = new Map<string, Promise<'compacted' | 'other'>>();
  #admin: Promise<Admin> | null = null;
  #producer: Promise<Producer> | null = null;
  readonly #producerKafka: Kafka;
  readonly #pending: Part[] = [];
  #draining: Promise<void> | null = null;
  #queuedBytes = 0;
  #closed = false;

  constructor(options: KafkaOptions) {
    if (!Number.isInteger(options.partitions) || options.partitions < 1) throw new RangeError(`partitions must be a whole number of at least 1, not ${options.partitions}`);
    const retention = options.historyRetentionMs ?? -1;
    if (!Number.isInteger(retention) || retention < -1) throw new RangeError(`historyRetentionMs must be -1 or a whole number of milliseconds, not ${retention}`);
    this.#options = options;
    this.#log = options.logger.child({ component: 'event-log' });
    const log = options.logger.child({ component: 'kafkajs' });
    this.#kafka = new Kafka({
      clientId: options.clientId,
      brokers: [...options.brokers],
      logLevel: logLevel.WARN,
      logCreator: () => ({ level, log: entry }) => {
        const { message, ...rest } = entry;
        log[LEVELS[level] ?? 'info'](rest, message);
      },
      // Bounded, so that a push fails within the Worker's timeout and the object backs off.
      retry: { initialRetryTime: 200, maxRetryTime: 2_000, retries: 5 },
      ...options.security,
    });
    this.#producerKafka = options.produceRequestTimeoutMs
      ? new Kafka({ clientId: options.clientId, brokers: [...options.brokers], logLevel: logLevel.NOTHING, requestTimeout: options.produceRequestTimeoutMs, ...options.security })
      : this.#kafka;
  }

  /**
   * Existing topics are checked first, and a refusal creates nothing (a topic created by a start
   * that is then refused would only add to what has to be reconciled). Missing topics are created
   * with KAFKA_PARTITIONS partitions and their kind's settings, so no broker default can expire or
   * compact away the history, then checked too (another replica may have created them first).
   * Refusals throw all at once (TopicSettingsError); warnings are logged and answered.
   */
  async ensureTopics(specs: readonly TopicSpec[]): Promise<readonly TopicFinding[]> {
    const admin = await this.#adminClient();
    const existing = new Set(await admin.listTopics());
    const [present, missing] = [specs.filter((s) => existing.has(s.name)), specs.filter((s) => !existing.has(s.name))];
    const replicationFactor = this.#options.replicationFactor > 0 ? this.#options.replicationFactor : Math.min(3, (await admin.describeCluster()).brokers.length);
    const wanted: Wanted = { partitions: this.#options.partitions, replicationFactor, bootstrap: this.#options.brokers.join(','), historyRetentionMs: this.#options.historyRetentionMs ?? -1 };
    const check = async (checked: readonly TopicSpec[]) => (checked.length === 0 ? [] : checkTopics(checked, await describeTopics(admin, checked.map((s) => s.name)), wanted));
    const findings = await check(present);
    if (!findings.some((f) => f.severity === 'refuse') && missing.length > 0) {
      const topics = missing.map((spec) => ({
        topic: spec.name,
        numPartitions: this.#options.partitions,
        replicationFactor,
        configEntries: Object.entries(topicConfig(spec.kind, replicationFactor, retentionFor(spec, wanted.historyRetentionMs))).map(([name, value]) => ({ name, value })),
      }));
      // Waiting for leaders, kafkajs may ask a broker that does not know the new topics yet (retriable);
      // asked again, it finds them created and only waits.
      await whileRetriable(() => admin.createTopics({ waitForLeaders: true, topics }));
      findings.push(...(await check(missing)));
    }
    const refused = findings.filter((f) => f.severity === 'refuse');
    const warnings = findings.filter((f) => f.severity === 'warn');
    for (const { topic, setting, found, expected, message } of warnings) this.#log.warn({ topic, setting, found, expected }, message);
    if (refused.length > 0) throw new TopicSettingsError(refused);
    return warnings;
  }

  /**
   * Idempotent producer, `acks=all`, and one produce request at a time per producer: appends
   * wait in a queue and go out together. kafkajs rolls a partition's sequence number back when
   * a produce request fails, even one that timed out on the client after the broker wrote it;
   * a concurrent send then reuses those numbers and the broker, taking it for a retry of the
   * written batch, acknowledges it without writing it: an acknowledged batch silently lost
   * (seen here: 2 of 8,000 records with 40 concurrent senders and produce timeouts; none once
   * sends were serialised). Serialised, the only send that can reuse the numbers is kafkajs's
   * own retry of the same records, which the broker rightly deduplicates. After a failure the
   * producer is replaced (a new producer id, fresh sequences).
   *
   * One append's failure is its own: a record that cannot fit is refused before it is queued
   * (RecordTooLargeError); a failed request is sent again append by append, once, so an innocent
   * append coalesced with a bad one still succeeds; appends queued behind are sent as usual.
   * Refused appends are retried by their callers, and consumers drop duplicates by (sku, version).
   */
  append(topic: string, records: readonly LogRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    if (this.#closed) return Promise.reject(new Error('the event log is closed'));
    if (!records.some((r) => r.value === null)) return this.#enqueue(topic, records);
    // A tombstone deletes a key of a table; in a history it would reach subscribers as an event.
    return this.#kindOf(topic).then((kind) =>
      kind === 'compacted' ? this.#enqueue(topic, records) : Promise.reject(new Error(`a tombstone (null value) needs a compacted topic, and "${topic}" is not one`)),
    );
  }

  #enqueue(topic: string, records: readonly LogRecord[]): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('the event log is closed'));
    const sizes = records.map(recordBytes);
    const largest = sizes.reduce((max, n, i) => (n > sizes[max]! ? i : max), 0);
    if (sizes[largest]! + BATCH_OVERHEAD_BYTES > MAX_MESSAGE_BYTES) {
      return Promise.reject(new RecordTooLargeError(topic, records[largest]!.key, sizes[largest]!, MAX_MESSAGE_BYTES - BATCH_OVERHEAD_BYTES));
    }
    const bytes = sizes.reduce((n, size) => n + size, 0);
    if (this.#queuedBytes + bytes > MAX_QUEUED_BYTES) return Promise.reject(new LogOverloadedError(OVERLOADED_RETRY_AFTER_SECONDS));
    return new Promise((resolve, reject) => {
      const slices = slice(records, sizes, MAX_SEND_BYTES);
      const caller: Caller = { parts: slices.length, failed: false, resolve, reject };
      for (const part of slices) this.#pending.push({ topic, ...part, caller });
      this.#queuedBytes += bytes;
      this.#drain();
    });
  }

  #drain(): void {
    if (this.#draining) return;
    this.#draining = this.#sendPending().finally(() => {
      this.#draining = null;
      // An append queued while the last send settled would otherwise wait for the next one.
      if (this.#pending.length > 0) this.#drain();
    });
  }

  async #sendPending(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#takeUpTo(MAX_SEND_BYTES);
      if (batch.length === 0) continue;
      const error = await this.#send(batch);
      if (error === null || batch.length === 1) {
        for (const part of batch) this.#settle(part, error);
        continue;
      }
      // Which append made the request fail is unknown: each is sent alone, once, with the fresh
      // producer. A failure that is not about its records (the cluster is away) ends the search:
      // the rest of this request fails with it rather than each waiting through its own.
      this.#log.warn({ err: error, appends: batch.length }, 'produce request failed; sending its appends one by one');
      let clusterError: unknown = null;
      for (const part of batch) {
        if (part.caller.failed || clusterError !== null) {
          this.#settle(part, clusterError ?? error);
          continue;
        }
        const alone = await this.#send([part]);
        this.#settle(part, alone);
        if (alone !== null && !isRecordRejection(alone)) clusterError = alone;
      }
    }
  }

  /** One produce request; on failure the producer is replaced and the error answered. */
  async #send(batch: readonly Part[]): Promise<unknown> {
    try {
      const producer = await this.#producerClient();
      await producer.sendBatch({ acks: -1, topicMessages: byTopic(batch) });
      return null;
    } catch (error) {
      await this.#resetProducer();
      return error ?? new Error('produce request failed');
    }
  }

  /** The oldest parts, at least one, up to `maxBytes` together; parts of an append that already failed are dropped. */
  #takeUpTo(maxBytes: number): Part[] {
    let end = 0;
    let bytes = 0;
    let live = 0;
    for (; end < this.#pending.length; end++) {
      const part = this.#pending[end]!;
      if (part.caller.failed) continue;
      if (live > 0 && bytes + part.bytes > maxBytes) break;
      live++;
      bytes += part.bytes;
    }
    const taken: Part[] = [];
    for (const part of this.#pending.splice(0, end)) {
      if (part.caller.failed) this.#queuedBytes -= part.bytes;
      else taken.push(part);
    }
    return taken;
  }

  #settle(part: Part, error: unknown): void {
    this.#queuedBytes -= part.bytes;
    const { caller } = part;
    if (caller.failed) return;
    if (error !== null) {
      caller.failed = true;
      caller.reject(error);
    } else if (--caller.parts === 0) caller.resolve();
  }

  /** Subscriptions are to history and dead-letter topics; a compacted topic is a table, read with readAll. */
  async subscribe(options: Subscribe): Promise<Subscription> {
    if ((await this.#kindOf(options.topic)) === 'compacted') throw new Error(`"${options.topic}" is a compacted topic: read it with readAll`);
    return this.#consume({ ...options, onBatch: (records) => options.onBatch(records as ConsumedRecord[]) }, false);
  }

  async subscribeOwned(options: OwnedSubscribe): Promise<Subscription> {
    const subscription = await startOwnedGroup(
      { kafka: this.#kafka, logger: this.#options.logger, maxBytes: FETCH_MAX_BYTES, readState: (topic, partitions) => this.readAll(topic, partitions) },
      options,
    );
    const tracked: Subscription = {
      stop: async () => {
        this.#subscriptions.delete(tracked);
        await subscription.stop();
      },
    };
    this.#subscriptions.add(tracked);
    return tracked;
  }

  async groupMembers(groupId: string, topic: string): Promise<GroupMember[]> {
    return describeMembers(await this.#adminClient(), groupId, topic);
  }

  /**
   * A consumer group's loop, kept alive. kafkajs restarts a consumer that crashed on a retriable
   * error, but leaves one that crashed on any other error stopped for good, silently: its group
   * empties and its partitions are never read again (the saga consumer stopped that way in a
   * torture run, and every reservation after it waited for an allocation). Such a consumer is
   * replaced by a new one, from the committed offsets, with a backoff; `stop` ends whichever runs.
   */
  async #consume(options: ConsumeOptions, tombstones: boolean): Promise<Subscription> {
    let stopping = false;
    let consumer = await this.#runConsumer(options, tombstones, options.startAt);
    const replace = async (error: unknown) => {
      this.#log.error({ err: error, groupId: options.groupId, topic: options.topic }, 'consumer crashed and kafkajs will not restart it: starting a new one');
      for (let attempt = 0; !stopping; attempt++) {
        await new Promise((r) => setTimeout(r, Math.min(CONSUMER_RESTART_MAX_MS, 500 * 2 ** attempt)));
        if (stopping) return;
        await consumer.disconnect().catch(() => undefined);
        try {
          // A consumer that commits resumes from its commits; one that does not starts where it was asked to again.
          const next = await this.#runConsumer(options, tombstones, options.commit === false ? options.startAt : undefined);
          if (stopping) await next.disconnect();
          else watch((consumer = next));
          return;
        } catch (retryError) {
          this.#log.warn({ err: retryError, groupId: options.groupId, attempt }, 'consumer could not be started again; retrying');
        }
      }
    };
    const watch = (c: Consumer) =>
      c.on(c.events.CRASH, ({ payload }) => {
        if (!payload.restart && !stopping) void replace(payload.error);
      });
    watch(consumer);
    const subscription: Subscription = {
      stop: async () => {
        stopping = true;
        this.#subscriptions.delete(subscription);
        await consumer.disconnect();
      },
    };
    this.#subscriptions.add(subscription);
    return subscription;
  }

  /** One consumer, connected, subscribed and running once it has fetched; `tombstones`: a null value stays null (a table read), else it cannot occur and reads as ''. */
  async #runConsumer(options: ConsumeOptions, tombstones: boolean, startAt: ReadonlyMap<number, string> | undefined): Promise<Consumer> {
    const consumer = this.#kafka.consumer({ groupId: options.groupId, maxBytes: FETCH_MAX_BYTES, retry: { retries: 10 } });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: options.topic, fromBeginning: options.fromBeginning });
      const firstFetch = new Promise<void>((resolve) => consumer.on(consumer.events.FETCH, () => resolve()));
      const { onBatchEnd } = options;
      if (onBatchEnd) consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => onBatchEnd(payload.partition, payload.lastOffset));
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        // kafkajs hands each batch closures, not methods: taking them off the payload is safe.
        // eslint-disable-next-line @typescript-eslint/unbound-method
        eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
          const from = startAt?.get(batch.partition);
          // A fetch may start before the seek below takes effect: what precedes the start is not delivered.
          const messages = from === undefined ? batch.messages : batch.messages.filter((m) => BigInt(m.offset) >= BigInt(from));
          if (messages.length === 0) return;
          const records: ConsumedTableRecord[] = messages.map((m) => ({
            topic: batch.topic,
            partition: batch.partition,
            offset: m.offset,
            timestamp: Number(m.timestamp),
            key: m.key?.toString() ?? '',
            value: m.value === null ? (tombstones ? null : '') : m.value.toString(),
            headers: Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, String(v)])),
          }));
          // A long batch (a consumer far behind, each event pulling causes from the edge) must not
          // outlast the session: the broker would evict the member and its commit would fail.
          const beating = setInterval(() => void heartbeat().catch(() => undefined), HEARTBEAT_WHILE_HANDLING_MS);
          let handled: boolean;
          try {
            handled = await retryUntilDone(
              () => options.onBatch(records),
              () => isRunning() && !isStale(),
              heartbeat,
              (error) => this.#log.warn({ err: error, groupId: options.groupId, topic: batch.topic, partition: batch.partition }, 'batch handler failed; retrying'),
            );
          } finally {
            clearInterval(beating);
          }
          // Not handled (stopping, or the partition moved): nothing is committed and it is read again.
          if (!handled) return;
          // Resolving moves the fetch position; committing makes it survive a restart or rebalance.
          resolveOffset(batch.lastOffset());
          if (options.commit === false) return;
          const next = (BigInt(batch.lastOffset()) + 1n).toString();
          try {
            await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
          } catch (error) {
            // The group moved on (a rebalance, an evicted member): whoever reads the partition next
            // reads this batch again, which every consumer here takes as duplicates. Thrown, the
            // error would crash the consumer for good (kafkajs does not restart on it).
            this.#log.warn({ err: error, groupId: options.groupId, partition: batch.partition }, 'offsets not committed; the batch will be read again');
          }
        },
      });
      for (const [partition, offset] of startAt ?? []) consumer.seek({ topic: options.topic, partition, offset });
      await withTimeout(firstFetch, FIRST_FETCH_TIMEOUT_MS, `consumer group ${options.groupId} did not start`);
    } catch (error) {
      // A consumer left running would stay in the group and keep handling batches for nobody.
      await consumer.disconnect().catch(() => undefined);
      throw error;
    }
    return consumer;
  }

  /**
   * A throw-away consumer group reads up to the end offsets taken first, commits nothing, and is
   * deleted after: Kafka has no group-less fetch in kafkajs. A compacted topic is compacted here
   * as it is read (the broker compacts lazily, and never the active segment): the latest record
   * of each key, none for a key whose latest is a tombstone, so what is held while reading is
   * bounded by the live keys, not by how often they were written.
   */
  async readAll(topic: string, partitions?: ReadonlySet<number>): Promise<ConsumedRecord[]> {
    const admin = await this.#adminClient();
    const compacted = (await this.#kindOf(topic)) === 'compacted';
    const ends = new Map([...(await this.endOffsets(topic))].filter(([p]) => !partitions || partitions.has(p)).map(([p, high]) => [p, BigInt(high)]));
    const pending = new Set([...ends].filter(([, high]) => high > 0n).map(([partition]) => partition));
    if (pending.size === 0) return [];
    const records: ConsumedRecord[] = [];
    const latest = new Map<string, ConsumedTableRecord>();
    const groupId = `${this.#options.clientId}-read-${randomUUID()}`;
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const subscription = await this.#consume(
      {
        groupId,
        topic,
        fromBeginning: true,
        commit: false,
        onBatch: async (batch) => {
          for (const record of batch) {
            const end = ends.get(record.partition);
            if (end === undefined) continue;
            if (BigInt(record.offset) < end) {
              if (compacted) latest.set(record.key, record);
              else records.push(record as ConsumedRecord);
            }
          }
        },
        // Reached by the last offset fetched, not the last record delivered: a transactional
        // topic's end is often a commit marker, which no consumer is handed.
        onBatchEnd: (partition, lastOffset) => {
          const end = ends.get(partition);
          if (end !== undefined && BigInt(lastOffset) >= end - 1n) pending.delete(partition);
          if (pending.size === 0) done();
        },
      },
      true,
    );
    try {
      await withTimeout(finished, FIRST_FETCH_TIMEOUT_MS, `reading ${topic} did not reach its end`);
    } finally {
      await subscription.stop();
      await admin.deleteGroups([groupId]).catch(() => undefined);
    }
    if (!compacted) return records;
    const live = [...latest.values()].filter((r): r is ConsumedRecord => r.value !== null);
    return live.sort((a, b) => a.partition - b.partition || (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1));
  }

  /** Compacted or not, from the topic's own `cleanup.policy` (it may predate this instance); cached, topics do not change kind. */
  #kindOf(topic: string): Promise<'compacted' | 'other'> {
    let kind = this.#kinds.get(topic);
    if (!kind) {
      kind = this.#adminClient()
        .then((admin) => admin.describeConfigs({ includeSynonyms: false, resources: [{ type: TOPIC_RESOURCE, name: topic, configNames: ['cleanup.policy'] }] }))
        .then(({ resources }) => (resources[0]?.configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue.includes('compact') ? 'compacted' : 'other'));
      this.#kinds.set(topic, kind);
      kind.catch(() => this.#kinds.delete(topic));
    }
    return kind;
  }

  async hasTopic(topic: string): Promise<boolean> {
    return (await (await this.#adminClient()).listTopics()).includes(topic);
  }

  async endOffsets(topic: string): Promise<Map<number, string>> {
    const admin = await this.#adminClient();
    // Right after a topic is created its leaders may still be moving in: kafkajs reports that as retriable.
    const offsets = await whileRetriable(() => admin.fetchTopicOffsets(topic));
    return new Map(offsets.map((p) => [p.partition, p.high]));
  }

  async startOffsets(topic: string): Promise<Map<number, string>> {
    const admin = await this.#adminClient();
    const offsets = await whileRetriable(() => admin.fetchTopicOffsets(topic));
    return new Map(offsets.map((p) => [p.partition, p.low]));
  }

  async health(): Promise<LogHealth> {
    try {
      const admin = await this.#adminClient();
      const cluster = await withTimeout(admin.describeCluster(), HEALTH_TIMEOUT_MS, 'no answer from the cluster');
      return { ok: true, adapter: 'kafka', detail: `${cluster.brokers.length} broker(s), controller ${cluster.controller}` };
    } catch (error) {
      return { ok: false, adapter: 'kafka', detail: error instanceof Error ? error.message : String(error) };
    }
  }

  async close(): Promise<void> {
    // Consumers first (they may append, to the DLQ say), then whatever is queued, then refuse more.
    await Promise.all([...this.#subscriptions].map((s) => s.stop()));
    this.#closed = true;
    while (this.#draining) await this.#draining;
    await this.#resetProducer();
    const admin = this.#admin;
    this.#admin = null;
    if (admin) await admin.then((a) => a.disconnect()).catch(() => undefined);
  }

  #adminClient(): Promise<Admin> {
    this.#admin ??= connected(this.#kafka.admin(), () => (this.#admin = null));
    return this.#admin;
  }

  #producerClient(): Promise<Producer> {
    this.#producer ??= connected(
      this.#producerKafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 2_000 } }),
      () => (this.#producer = null),
    );
    return this.#producer;
  }

  async #resetProducer(): Promise<void> {
    const producer = this.#producer;
    this.#producer = null;
    if (producer) await producer.then((p) => p.disconnect()).catch(() => undefined);
  }
}

/** Bytes a record takes in a record batch, over-estimated (UTF-8, framing included). */
function recordBytes(record: LogRecord): number {
  let bytes = RECORD_OVERHEAD_BYTES + Buffer.byteLength(record.key) + (record.value === null ? 0 : Buffer.byteLength(record.value));
  for (const [name, value] of Object.entries(record.headers ?? {})) bytes += HEADER_OVERHEAD_BYTES + Buffer.byteLength(name) + Buffer.byteLength(value);
  return bytes;
}

/** An append's records in order, cut into parts of at most `maxBytes` (a larger record makes a part of its own). */
function slice(records: readonly LogRecord[], sizes: readonly number[], maxBytes: number): { records: LogRecord[]; bytes: number }[] {
  const parts: { records: LogRecord[]; bytes: number }[] = [];
  let current: { records: LogRecord[]; bytes: number } | null = null;
  records.forEach((record, i) => {
    if (!current || (current.records.length > 0 && current.bytes + sizes[i]! > maxBytes)) parts.push((current = { records: [], bytes: 0 }));
    current.records.push(record);
    current.bytes += sizes[i]!;
  });
  return parts;
}

/** Whether the broker refused the records themselves; kafkajs wraps the protocol error in `cause`. */
function isRecordRejection(error: unknown): boolean {
  for (let e = error, depth = 0; typeof e === 'object' && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (RECORD_REJECTIONS.has(String((e as { type?: unknown }).type))) return true;
  }
  return false;
}

/** Records per topic, each append's records in its order (the order a key's records keep in its partition). */
function byTopic(batch: readonly Part[]): { topic: string; messages: Message[] }[] {
  const topics = new Map<string, Message[]>();
  for (const { topic, records } of batch) {
    let messages = topics.get(topic);
    if (!messages) topics.set(topic, (messages = []));
    // A null value is a tombstone: on a compacted topic it deletes the key.
    for (const r of records) messages.push({ key: r.key, value: r.value, headers: r.headers });
  }
  return [...topics].map(([topic, messages]) => ({ topic, messages }));
}

/** Partition count, replicas (the fewest of any partition) and the checked settings of each topic. */
async function describeTopics(admin: Admin, names: readonly string[]): Promise<Map<string, DescribedTopic>> {
  // Right after creation a topic may not be known to every broker yet: kafkajs reports that as retriable.
  const { topics } = await whileRetriable(() => admin.fetchTopicMetadata({ topics: [...names] }));
  const { resources } = await whileRetriable(() =>
    admin.describeConfigs({ includeSynonyms: false, resources: names.map((name) => ({ type: TOPIC_RESOURCE, name, configNames: [...CHECKED_SETTINGS] })) }),
  );
  const configs = new Map(resources.map((r) => [r.resourceName, Object.fromEntries(r.configEntries.map((e) => [e.configName, e.configValue]))]));
  return new Map(
    topics.map((t) => [
      t.name,
      { name: t.name, partitions: t.partitions.length, replicas: Math.min(...t.partitions.map((p) => p.replicas.length)), config: configs.get(t.name) ?? {} },
    ]),
  );
}

async function whileRetriable<T>(run: () => Promise<T>, attempts = 20): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      const retriable = typeof error === 'object' && error !== null && (error as { retriable?: boolean }).retriable === true;
      if (!retriable || attempt >= attempts) throw error;
      await new Promise((r) => setTimeout(r, Math.min(1_000, 100 * attempt)));
    }
  }
}

/** Connects a client once; a failed connection is forgotten so the next call tries again. */
function connected<T extends { connect(): Promise<void> }>(client: T, forget: () => void): Promise<T> {
  return client.connect().then(
    () => client,
    (error: unknown) => {
      forget();
      throw error;
    },
  );
}

/** A consumer must not skip a record its handler failed on: it retries, heartbeating, while it owns the partition. */
async function retryUntilDone(
  run: () => Promise<void>,
  owned: () => boolean,
  heartbeat: () => Promise<void>,
  failed: (error: unknown) => void,
): Promise<boolean> {
  for (let attempt = 0; owned(); attempt++) {
    try {
      await run();
      return true;
    } catch (error) {
      failed(error);
      await new Promise((r) => setTimeout(r, Math.min(2_000, 200 * 2 ** attempt)));
      await heartbeat().catch(() => undefined);
    }
  }
  return false;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
