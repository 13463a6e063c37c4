import { randomUUID } from 'node:crypto';
import { CausalOrder } from '../../src/domain/core/causalDelivery';
import {
  CheckoutRecordSchema,
  checkoutOf,
  emptyOrder,
  evolveOrder,
  orderView,
  stampOf,
  type JoinedEvent,
  type OrderDocument,
  type OrderView,
} from '../../src/domain/checkout';
import { decodeSkuEvent } from '../consumers/decodeEvent';
import type { ConsumedRecord, EventLog, Subscription } from '../eventLog/port';
import { CHECKOUTS_TOPIC, EVENTS_TOPIC } from '../eventLog/topics';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';

export type CausalHealth = { held: number; oldestHeldSeconds: number | null; missing: Record<string, number>; alerting: boolean };

export type OrdersView = {
  get(checkoutId: string): OrderView | null;
  causal(): CausalHealth;
  stop(): Promise<void>;
};

export type OrdersViewOptions = {
  log: EventLog;
  metrics: Metrics;
  logger: Logger;
  /** An event held longer than this means a cause is not arriving (a relay stuck, a lost record): alert. */
  holdAlertSeconds: number;
  now?: () => number;
};

const CHECK_EVERY_MS = 5_000;

/**
 * The order view: SKU events and checkout events joined in causal order, so no order ever
 * shows an effect (a line held, an allocation) before its cause. Kept in memory and rebuilt by
 * replay at start (both topics keep all history), so an event held when the bridge stops is
 * simply read again: holding never needs a committed offset behind it.
 */
export async function startOrdersView({ log, metrics, logger, holdAlertSeconds, now = Date.now }: OrdersViewOptions): Promise<OrdersView> {
  const order = new CausalOrder<JoinedEvent>(stampOf);
  const docs = new Map<string, OrderDocument>();
  const owners = new Map<string, string>();
  let alerting = false;

  const apply = (joined: JoinedEvent) => {
    const checkoutId = checkoutOf(joined, (id) => owners.get(id));
    if (!checkoutId) return;
    if (joined.kind === 'sku' && joined.event.type === 'StockReserved') owners.set(joined.event.data.reservationId, checkoutId);
    docs.set(checkoutId, evolveOrder(docs.get(checkoutId) ?? emptyOrder(checkoutId), joined));
    metrics.causalDelivered.inc({ consumer: 'orders' });
  };
  const offer = (joined: JoinedEvent | null, record: ConsumedRecord) => {
    if (!joined) {
      logger.error({ topic: record.topic, offset: record.offset, key: record.key }, 'undecodable record skipped by the order view');
      return;
    }
    for (const ready of order.offer(joined, now())) apply(ready);
  };
  const causal = (): CausalHealth => {
    const oldest = order.oldestHeldSince();
    return { held: order.heldCount, oldestHeldSeconds: oldest === null ? null : (now() - oldest) / 1000, missing: order.missing(), alerting };
  };
  metrics.causalSources.set('orders', causal);

  const id = randomUUID();
  const started = await Promise.allSettled([
    log.subscribe({
      groupId: `orders-view-events-${id}`,
      topic: EVENTS_TOPIC,
      fromBeginning: true,
      commit: false,
      onBatch: async (records) => records.forEach((r) => offer(decodeJoinedSku(r), r)),
    }),
    log.subscribe({
      groupId: `orders-view-checkouts-${id}`,
      topic: CHECKOUTS_TOPIC,
      fromBeginning: true,
      commit: false,
      onBatch: async (records) => records.forEach((r) => offer(decodeJoinedCheckout(r), r)),
    }),
  ]);
  const subscriptions: Subscription[] = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    // Half a view must not keep replaying into nothing while the start is retried.
    await Promise.all(subscriptions.map((sub) => sub.stop()));
    metrics.causalSources.delete('orders');
    throw failed.reason;
  }

  const watch = setInterval(() => {
    const health = causal();
    const stuck = health.oldestHeldSeconds !== null && health.oldestHeldSeconds > holdAlertSeconds;
    if (stuck && !alerting) logger.error({ ...health }, 'order view: events held past the alert threshold; their causes have not arrived');
    if (!stuck && alerting) logger.info({ held: health.held }, 'order view: held events released');
    alerting = stuck;
  }, CHECK_EVERY_MS);
  watch.unref();

  return {
    get: (checkoutId) => {
      const doc = docs.get(checkoutId);
      return doc ? orderView(doc) : null;
    },
    causal,
    stop: async () => {
      clearInterval(watch);
      metrics.causalSources.delete('orders');
      await Promise.all(subscriptions.map((s) => s.stop()));
    },
  };
}

function decodeJoinedSku(record: ConsumedRecord): JoinedEvent | null {
  const event = decodeSkuEvent(record);
  return event ? { kind: 'sku', event } : null;
}

function decodeJoinedCheckout(record: ConsumedRecord): JoinedEvent | null {
  try {
    const parsed = CheckoutRecordSchema.safeParse(JSON.parse(record.value));
    return parsed.success && parsed.data.checkoutId === record.key ? { kind: 'checkout', event: parsed.data } : null;
  } catch {
    return null;
  }
}
