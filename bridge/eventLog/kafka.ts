import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Admin, type Consumer, type ITopicConfig, type Producer } from 'kafkajs';
import type { Logger } from '../logger';
import type { ConsumedRecord, EventLog, LogHealth, LogRecord, Subscribe, Subscription, TopicKind, TopicSpec } from './port';

export type KafkaOptions = {
  brokers: readonly string[];
  clientId: string;
  /** -1: the brokers' defaults. */
  replicationFactor: number;
  partitions: number;
  logger: Logger;
  /** kafkajs's client-side timeout of a produce request; tests make it tiny to force timeouts. */
  produceRequestTimeoutMs?: number;
};

type PendingAppend = { topic: string; records: readonly LogRecord[]; bytes: number; resolve: () => void; reject: (error: unknown) => void };

/** Appends coalesced into one produce request, below the broker's default 1 MiB per record batch. */
const MAX_COALESCED_BYTES = 768 * 1024;
/** While Kafka is away pushes keep coming (and retrying): past this, refuse at once rather than queue. */
const MAX_QUEUED_BYTES = 64 * 1024 * 1024;

/** Topic settings are explicit so that no broker default can expire or compact away the history. */
const TOPIC_CONFIG: Record<TopicKind, ITopicConfig['configEntries']> = {
  history: [
    { name: 'cleanup.policy', value: 'delete' },
    { name: 'retention.ms', value: '-1' },
    { name: 'retention.bytes', value: '-1' },
  ],
  compacted: [
    { name: 'cleanup.policy', value: 'compact' },
    { name: 'min.compaction.lag.ms', value: '0' },
  ],
  deadLetter: [
    { name: 'cleanup.policy', value: 'delete' },
    { name: 'retention.ms', value: '-1' },
  ],
};

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** How long `subscribe` waits for the group to join and fetch once, so "from the end" means from now. */
const FIRST_FETCH_TIMEOUT_MS = 60_000;
const HEALTH_TIMEOUT_MS = 3_000;

export class KafkaEventLog implements EventLog {
  readonly #kafka: Kafka;
  readonly #options: KafkaOptions;
  readonly #log: Logger;
  readonly #subscriptions = new Set<Subscription>();
  #admin: Promise<Admin> | null = null;
  #producer: Promise<Producer> | null = null;
  readonly #producerKafka: Kafka;
  readonly #pending: PendingAppend[] = [];
  #draining: Promise<void> | null = null;
  #queuedBytes = 0;
  #closed = false;

  constructor(options: KafkaOptions) {
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
    });
    this.#producerKafka = options.produceRequestTimeoutMs
      ? new Kafka({ clientId: options.clientId, brokers: [...options.brokers], logLevel: logLevel.NOTHING, requestTimeout: options.produceRequestTimeoutMs })
      : this.#kafka;
  }

  async ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    const admin = await this.#adminClient();
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.name));
    if (missing.length === 0) return;
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((spec) => ({
        topic: spec.name,
        numPartitions: this.#options.partitions,
        replicationFactor: this.#options.replicationFactor,
        configEntries: TOPIC_CONFIG[spec.kind],
      })),
    });
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
   * producer is replaced (a new producer id, fresh sequences); the records of the failed send
   * are refused to their callers, who retry, and consumers drop duplicates by (sku, version).
   */
  append(topic: string, records: readonly LogRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    if (this.#closed) return Promise.reject(new Error('the event log is closed'));
    const bytes = records.reduce((n, r) => n + r.key.length + r.value.length, 0);
    if (this.#queuedBytes + bytes > MAX_QUEUED_BYTES) return Promise.reject(new Error('the produce queue is full: Kafka is not keeping up'));
    return new Promise((resolve, reject) => {
      this.#queuedBytes += bytes;
      this.#pending.push({ topic, records, bytes, resolve, reject });
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
      const batch = takeUpTo(this.#pending, MAX_COALESCED_BYTES);
      try {
        const producer = await this.#producerClient();
        await producer.sendBatch({ acks: -1, topicMessages: byTopic(batch) });
        this.#settle(batch, null);
      } catch (error) {
        await this.#resetProducer();
        // Everything queued behind it is refused too: each would otherwise wait through its own
        // failed reconnect, and its caller retries anyway.
        this.#settle([...batch, ...this.#pending.splice(0)], error);
      }
    }
  }

  #settle(appends: readonly PendingAppend[], error: unknown): void {
    for (const append of appends) {
      this.#queuedBytes -= append.bytes;
      if (error === null) append.resolve();
      else append.reject(error);
    }
  }

  async subscribe(options: Subscribe): Promise<Subscription> {
    const consumer = this.#kafka.consumer({ groupId: options.groupId, retry: { retries: 10 } });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: options.topic, fromBeginning: options.fromBeginning });
      const firstFetch = new Promise<void>((resolve) => consumer.on(consumer.events.FETCH, () => resolve()));
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
          const from = options.startAt?.get(batch.partition);
          // A fetch may start before the seek below takes effect: what precedes the start is not delivered.
          const messages = from === undefined ? batch.messages : batch.messages.filter((m) => BigInt(m.offset) >= BigInt(from));
          if (messages.length === 0) return;
          const records: ConsumedRecord[] = messages.map((m) => ({
            topic: batch.topic,
            partition: batch.partition,
            offset: m.offset,
            timestamp: Number(m.timestamp),
            key: m.key?.toString() ?? '',
            value: m.value?.toString() ?? '',
            headers: Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, String(v)])),
          }));
          const handled = await retryUntilDone(
            () => options.onBatch(records),
            () => isRunning() && !isStale(),
            heartbeat,
            (error) => this.#log.warn({ err: error, groupId: options.groupId, topic: batch.topic, partition: batch.partition }, 'batch handler failed; retrying'),
          );
          // Not handled (stopping, or the partition moved): nothing is committed and it is read again.
          if (!handled) return;
          // Resolving moves the fetch position; committing makes it survive a restart or rebalance.
          resolveOffset(batch.lastOffset());
          if (options.commit === false) return;
          const next = (BigInt(batch.lastOffset()) + 1n).toString();
          await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
        },
      });
      for (const [partition, offset] of options.startAt ?? []) consumer.seek({ topic: options.topic, partition, offset });
      await withTimeout(firstFetch, FIRST_FETCH_TIMEOUT_MS, `consumer group ${options.groupId} did not start`);
    } catch (error) {
      // A consumer left running would stay in the group and keep handling batches for nobody.
      await consumer.disconnect().catch(() => undefined);
      throw error;
    }
    const subscription: Subscription = {
      stop: async () => {
        this.#subscriptions.delete(subscription);
        await consumer.disconnect();
      },
    };
    this.#subscriptions.add(subscription);
    return subscription;
  }

  /**
   * A throw-away consumer group reads up to the end offsets taken first, commits nothing, and is
   * deleted after: Kafka has no group-less fetch in kafkajs.
   */
  async readAll(topic: string): Promise<ConsumedRecord[]> {
    const admin = await this.#adminClient();
    const ends = new Map([...(await this.endOffsets(topic))].map(([p, high]) => [p, BigInt(high)]));
    const pending = new Set([...ends].filter(([, high]) => high > 0n).map(([partition]) => partition));
    if (pending.size === 0) return [];
    const records: ConsumedRecord[] = [];
    const groupId = `${this.#options.clientId}-read-${randomUUID()}`;
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const subscription = await this.subscribe({
      groupId,
      topic,
      fromBeginning: true,
      commit: false,
      onBatch: async (batch) => {
        for (const record of batch) {
          const end = ends.get(record.partition)!;
          if (BigInt(record.offset) < end) records.push(record);
          if (BigInt(record.offset) >= end - 1n) pending.delete(record.partition);
        }
        if (pending.size === 0) done();
      },
    });
    try {
      await withTimeout(finished, FIRST_FETCH_TIMEOUT_MS, `reading ${topic} did not reach its end`);
    } finally {
      await subscription.stop();
      await admin.deleteGroups([groupId]).catch(() => undefined);
    }
    return records;
  }

  async endOffsets(topic: string): Promise<Map<number, string>> {
    const admin = await this.#adminClient();
    // Right after a topic is created its leaders may still be moving in: kafkajs reports that as retriable.
    const offsets = await whileRetriable(() => admin.fetchTopicOffsets(topic));
    return new Map(offsets.map((p) => [p.partition, p.high]));
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

/** The oldest appends, at least one, up to `maxBytes` together. */
function takeUpTo(pending: PendingAppend[], maxBytes: number): PendingAppend[] {
  let count = 1;
  let bytes = pending[0]!.bytes;
  while (count < pending.length && bytes + pending[count]!.bytes <= maxBytes) bytes += pending[count++]!.bytes;
  return pending.splice(0, count);
}

/** Records per topic, each append's records in its order (the order a key's records keep in its partition). */
function byTopic(batch: readonly PendingAppend[]) {
  const topics = new Map<string, { key: string; value: string; headers?: Record<string, string> }[]>();
  for (const { topic, records } of batch) {
    const messages = topics.get(topic) ?? [];
    messages.push(...records.map((r) => ({ key: r.key, value: r.value, headers: r.headers })));
    topics.set(topic, messages);
  }
  return [...topics].map(([topic, messages]) => ({ topic, messages }));
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
