import { streamSku } from '../../src/domain/core/vectorClock';
import type { SkuEvent } from '../../src/domain/sku';
import type { EdgeClient } from '../edge/client';
import type { ConsumedRecord, EventLog, Subscription } from '../eventLog/port';
import { DLQ_TOPIC, EVENTS_TOPIC } from '../eventLog/topics';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { readSkuRecords } from './decodeEvent';
import { place } from './sequencer';

/** Last applied version per SKU. Durable consumers store it with their effects (same transaction). */
export type VersionStore = {
  get(sku: string): Promise<number>;
  set(sku: string, version: number): Promise<void>;
};

export const memoryVersions = (): VersionStore & { snapshot(): Map<string, number> } => {
  const versions = new Map<string, number>();
  return {
    get: async (sku) => versions.get(sku) ?? 0,
    set: async (sku, version) => void versions.set(sku, version),
    snapshot: () => new Map(versions),
  };
};

export type OrderedConsumer = {
  log: EventLog;
  groupId: string;
  /** `inventory.events` unless a test or a migration reads a copy of it. */
  topic?: string;
  fromBeginning: boolean;
  edge: EdgeClient;
  versions: VersionStore;
  metrics: Metrics;
  logger: Logger;
  /** Called once per (sku, version), in version order per SKU. */
  apply: (event: SkuEvent) => Promise<void>;
  /** Makes the batch's effects (and versions) durable; the offsets are committed only after it. */
  afterBatch?: () => Promise<void>;
  /**
   * Whether causes named in other SKUs are applied first (default true). A consumer whose work is
   * per SKU and owned by partition (the sagas) must not: the cause's SKU is another partition's,
   * and its owner's business.
   */
  followCauses?: boolean;
};

/** What applying one batch in order needs: the consumer without its subscription. */
export type OrderedBatch = Omit<OrderedConsumer, 'topic' | 'fromBeginning' | 'afterBatch'>;

/**
 * Consumes `inventory.events` so that each SKU's events are applied exactly once and in causal
 * order: duplicates are skipped, holes are filled from the edge, records of every version are
 * upcast (ADR 0012), undecodable ones go to the DLQ, and an event caused by another SKU's event (a checkout reserving B after it reserved A
 * names `sku:A` in `causedBy`) is applied only after that cause. Partitions are consumed
 * independently, so the cause may not have arrived yet: it is pulled from the edge, the source
 * of truth, rather than held, so that no offset is ever committed past a held event; its copy
 * from the log is later skipped as a duplicate. Checkout streams are not read here, and their
 * entries in `causedBy` are not waited for. Offsets are committed only after the whole batch.
 */
export function consumeInOrder(consumer: OrderedConsumer): Promise<Subscription> {
  return consumer.log.subscribe({
    groupId: consumer.groupId,
    topic: consumer.topic ?? EVENTS_TOPIC,
    fromBeginning: consumer.fromBeginning,
    onBatch: async (records) => {
      await applyInOrder(consumer, records);
      await consumer.afterBatch?.();
    },
  });
}

/** Applies a batch's events once each and in causal order (see consumeInOrder); its effects are the caller's to make durable. */
export async function applyInOrder(consumer: OrderedBatch, records: readonly ConsumedRecord[]): Promise<void> {
  const events = await readSkuRecords(records, consumer.edge);
  if (consumer.followCauses !== false) await pullCausesOf(consumer, events);
  for (const [i, record] of records.entries()) await handle(consumer, record, events[i] ?? null);
}

/** `event` is the record decoded (once, for the whole batch); null if it could not be. */
async function handle(consumer: OrderedBatch, record: ConsumedRecord, event: SkuEvent | null): Promise<void> {
  if (!event) {
    consumer.logger.error({ offset: record.offset, key: record.key }, 'undecodable event sent to the DLQ');
    await consumer.log.append(DLQ_TOPIC, [{ key: record.key, value: record.value, headers: { ...record.headers, 'dlq-reason': 'undecodable', 'dlq-group': consumer.groupId, 'dlq-topic': record.topic } }]);
    return;
  }
  const last = await consumer.versions.get(event.sku);
  const placement = place(last, event.version);
  if (placement === 'duplicate') {
    consumer.metrics.consumerDuplicates.inc({ group: consumer.groupId });
    return;
  }
  if (placement === 'gap') {
    const missing = await consumer.edge.eventsBetween(event.sku, last, event.version);
    consumer.logger.warn({ sku: event.sku, after: last, before: event.version, fetched: missing.length }, 'gap in the log filled from the edge');
    consumer.metrics.consumerGapEvents.inc({ group: consumer.groupId }, missing.length);
    for (const e of missing) await applyNext(consumer, e);
  }
  await applyNext(consumer, event);
}

/**
 * The causes a batch names in SKUs of other partitions, pulled once per SKU up to the latest
 * version the batch needs, before its events are applied: one pull per event (a checkout's
 * lines each name the others) made the saga consumer fall further behind the longer a sale
 * ran (75,606 pulls in a torture run). A SKU of the batch's own partition is not pulled: its
 * events come in this batch, in order; what `applyCauses` still finds missing it pulls itself.
 */
async function pullCausesOf(consumer: OrderedBatch, decoded: readonly (SkuEvent | null)[]): Promise<void> {
  const events = decoded.filter((e): e is SkuEvent => e !== null);
  const own = new Set(events.map((e) => e.sku));
  const needed = new Map<string, number>();
  for (const event of events) {
    for (const [stream, version] of Object.entries(event.causedBy)) {
      const sku = streamSku(stream);
      if (sku && !own.has(sku) && version > (needed.get(sku) ?? 0)) needed.set(sku, version);
    }
  }
  for (const [sku, version] of needed) await pullUpTo(consumer, sku, version);
}

/** Applies first what the event's other SKUs did before it (causes precede effects, so this ends). */
async function applyCauses(consumer: OrderedBatch, event: SkuEvent): Promise<void> {
  if (consumer.followCauses === false) return;
  for (const [stream, version] of Object.entries(event.causedBy)) {
    const sku = streamSku(stream);
    if (sku && sku !== event.sku) await pullUpTo(consumer, sku, version);
  }
}

/** Pulls a SKU's events from the edge up to `version` (when not applied yet) and applies them. */
async function pullUpTo(consumer: OrderedBatch, sku: string, version: number): Promise<void> {
  const last = await consumer.versions.get(sku);
  if (last >= version) return;
  const causes = await consumer.edge.eventsBetween(sku, last, version + 1);
  consumer.metrics.consumerCausalPulls.inc({ group: consumer.groupId }, causes.length);
  for (const cause of causes) await applyNext(consumer, cause);
}

async function applyNext(consumer: OrderedBatch, event: SkuEvent): Promise<void> {
  await applyCauses(consumer, event);
  const last = await consumer.versions.get(event.sku);
  if (place(last, event.version) !== 'next') throw new Error(`${event.sku} v${event.version} does not follow v${last}`);
  await consumer.apply(event);
  await consumer.versions.set(event.sku, event.version);
}
