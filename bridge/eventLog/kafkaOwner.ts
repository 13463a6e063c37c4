import type { Producer } from 'kafkajs';
import { OwnershipLostError } from './errors';
import type { PartitionOwner, StateRecord } from './port';

/** One produce request per chunk: a partition's record batch must stay under the topic's 1 MiB limit. */
const MAX_CHUNK_BYTES = 512 * 1024;
/** The broker's answers to a producer a newer one with its transactional id has replaced. */
const FENCED = new Set(['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH', 'INVALID_PRODUCER_ID_MAPPING', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED']);

/** The stable transactional id of a partition's owner: the same on every replica, so the newest fences the rest. */
export const transactionalIdOf = (groupId: string, topic: string, partition: number) => `${groupId}.${topic}.${partition}`;

/**
 * A partition's owner on Kafka (docs/adr/0001-bridge-as-a-group.md): its transactional producer,
 * already initialised (so every earlier owner is fenced), through which all of the partition's
 * state and its input offset are committed, one transaction at a time.
 */
export class TransactionalOwner implements PartitionOwner {
  #suspended = false;
  #lost = false;
  #chain: Promise<void> = Promise.resolve();

  constructor(
    readonly partition: number,
    readonly producer: Producer,
    private readonly groupId: string,
    private readonly topic: string,
    private readonly broken: (partition: number, error: unknown) => void,
  ) {}

  get active(): boolean {
    return !this.#suspended && !this.#lost;
  }

  suspend(suspended: boolean): void {
    this.#suspended = suspended;
  }

  lose(): void {
    this.#lost = true;
  }

  commit(records: readonly StateRecord[], nextOffset?: string): Promise<void> {
    const run = this.#chain.catch(() => undefined).then(() => this.#commit(records, nextOffset));
    this.#chain = run;
    return run;
  }

  /** While suspended the owner still commits: no one else owns the partition until a new owner fences it. */
  async #commit(records: readonly StateRecord[], nextOffset: string | undefined): Promise<void> {
    if (this.#lost) throw new OwnershipLostError(this.partition);
    if (records.length === 0 && nextOffset === undefined) return;
    const transaction = await this.producer.transaction();
    try {
      for (const chunk of chunks(records)) {
        await transaction.sendBatch({ acks: -1, topicMessages: [...byTopic(chunk, this.partition)].map(([topic, messages]) => ({ topic, messages })) });
      }
      if (nextOffset !== undefined) {
        await transaction.sendOffsets({ consumerGroupId: this.groupId, topics: [{ topic: this.topic, partitions: [{ partition: this.partition, offset: nextOffset }] }] });
      }
      await transaction.commit();
    } catch (error) {
      const aborted = await transaction.abort().then(
        () => true,
        () => false,
      );
      if (isFenced(error)) {
        this.#lost = true;
        this.broken(this.partition, error);
        throw new OwnershipLostError(this.partition, { cause: error });
      }
      // A producer that could not even abort is in no known state: the membership starts over.
      if (!aborted) {
        this.#lost = true;
        this.broken(this.partition, error);
      }
      throw error;
    }
  }
}

function isFenced(error: unknown): boolean {
  for (let e = error, depth = 0; typeof e === 'object' && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (FENCED.has(String((e as { type?: unknown }).type))) return true;
  }
  return false;
}

function byTopic(records: readonly StateRecord[], partition: number): Map<string, { key: string; value: string | null; headers?: Record<string, string>; partition: number }[]> {
  const topics = new Map<string, { key: string; value: string | null; headers?: Record<string, string>; partition: number }[]>();
  for (const { topic, key, value, headers } of records) {
    let messages = topics.get(topic);
    if (!messages) topics.set(topic, (messages = []));
    messages.push({ key, value, headers, partition });
  }
  return topics;
}

function* chunks(records: readonly StateRecord[]): Generator<StateRecord[]> {
  let chunk: StateRecord[] = [];
  let bytes = 0;
  for (const record of records) {
    const size = 64 + record.key.length + (record.value?.length ?? 0) * 3;
    if (chunk.length > 0 && bytes + size > MAX_CHUNK_BYTES) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(record);
    bytes += size;
  }
  if (chunk.length > 0) yield chunk;
}
