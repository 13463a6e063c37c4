import { randomUUID } from 'node:crypto';
import { CausalOrder } from '../../src/domain/core/causalDelivery';
import { checkoutStream, streamCheckout } from '../../src/domain/core/vectorClock';
import {
  checkoutOf,
  emptyOrder,
  evolveOrder,
  orderView,
  stampOf,
  type JoinedEvent,
  type OrderDocument,
  type OrderView,
  type CheckoutRecord,
} from '../../src/domain/checkout';
import type { SkuEvent } from '../../src/domain/sku';
import { decodeCheckoutRecord, readSkuRecords } from '../consumers/decodeEvent';
import type { EdgeClient } from '../edge/client';
import type { ConsumedRecord, EventLog, Subscription } from '../eventLog/port';
import { CHECKOUTS_TOPIC, EVENTS_TOPIC } from '../eventLog/topics';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { edgePulls } from './edgePulls';
import { isFinished } from './finished';

export type CausalHealth = { held: number; oldestHeldSeconds: number | null; missing: Record<string, number>; alerting: boolean };

export type OrdersView = {
  get(checkoutId: string): OrderView | null;
  /** A checkout this view saw finish and has forgotten, within a further retention (the edge still answers for it). */
  isRetired(checkoutId: string): boolean;
  /** Checkouts held in memory: in flight, and finished within the retention. */
  readonly size: number;
  /** Streams the causal order remembers: every SKU's, and the checkouts' not retired. */
  readonly streams: number;
  causal(): CausalHealth;
  stop(): Promise<void>;
};

export type OrdersViewOptions = {
  log: EventLog;
  /** Where SKU events the log does not bring are pulled from. */
  edge: EdgeClient;
  metrics: Metrics;
  logger: Logger;
  /** An event held longer than this means a cause is not arriving (a relay stuck, a lost record): alert. */
  holdAlertSeconds: number;
  /** A finished checkout is forgotten this long after the event that finished it. */
  retentionSeconds: number;
  /** An SKU stream held events wait for that does not move this long is pulled from the edge. */
  pullGraceSeconds?: number;
  now?: () => number;
};

const CHECK_EVERY_MS = 5_000;
const PULL_CHECK_EVERY_MS = 1_000;
const PULL_GRACE_SECONDS = 5;

/**
 * The order view: SKU events and checkout events joined in causal order, so no order ever
 * shows an effect (a line held, an allocation) before its cause. Kept in memory and rebuilt by
 * replay at start (both topics keep all history), so an event held when the bridge stops is
 * simply read again: holding never needs a committed offset behind it.
 *
 * Holes: an SKU stream that held events wait for and that stops moving is filled from the edge
 * (see `edgePulls`); a checkout stream has no other source and is waited for, reported by the
 * hold alert.
 *
 * Invariant bounded-by-live-work: a checkout that finished (see `isFinished`) is forgotten
 * `retentionSeconds` after the event that finished it, with the reservation ids that led to it
 * and its stream in the causal order; a replay at start forgets the long-finished ones as it
 * passes them. Later events of a forgotten checkout (a late allocation, say) are not its
 * business any more: the edge, which keeps every reservation, still answers for it. Its own
 * events (redelivered copies) are dropped while its id is remembered as retired, for a further
 * `retentionSeconds`; its SKU events find no owner. Redeliveries come from pushes retried until
 * acknowledged, within minutes, so that window covers them; a copy arriving after it is taken for
 * a new checkout's: a start shows the checkout again as started, a later step is held waiting
 * for its start and the hold alert reports it.
 */
export async function startOrdersView({
  log, edge, metrics, logger, holdAlertSeconds, retentionSeconds, pullGraceSeconds = PULL_GRACE_SECONDS, now = Date.now,
}: OrdersViewOptions): Promise<OrdersView> {
  const docs = new Map<string, OrderDocument>();
  const owners = new Map<string, string>();
  /** Finished checkouts → when they finished, roughly oldest first: the retirement queue. */
  const finished = new Map<string, number>();
  /**
   * Retired checkouts → until when their late copies are dropped, roughly oldest first. Dated
   * on the log's own clock (the latest event date read, never ahead of the wall clock) so that a
   * replay at start, which retires the long-finished as it passes them, still recognises the
   * copies that follow them in the log and keeps only a window of them.
   */
  const retired = new Map<string, number>();
  let logClock = 0;
  const retentionMs = retentionSeconds * 1000;
  let alerting = false;

  // A cause on a retired checkout was delivered before the checkout was forgotten: not waited for.
  const order = new CausalOrder<JoinedEvent>((joined) => {
    const stamp = stampOf(joined);
    if (retired.size === 0) return stamp;
    const gone = Object.keys(stamp.causedBy).filter((stream) => retired.has(streamCheckout(stream) ?? ''));
    if (gone.length === 0) return stamp;
    const causedBy = { ...stamp.causedBy };
    for (const stream of gone) delete causedBy[stream];
    return { ...stamp, causedBy };
  });

  const retire = (checkoutId: string, finishedAt: number) => {
    const doc = docs.get(checkoutId);
    docs.delete(checkoutId);
    finished.delete(checkoutId);
    for (const reservationId of Object.keys(doc?.reservations ?? {})) owners.delete(reservationId);
    for (const line of doc?.checkout?.lines ?? []) if (line.reservationId) owners.delete(line.reservationId);
    retired.set(checkoutId, finishedAt + 2 * retentionMs);
    // What still waited for the checkout's stream can no longer get it (its events are dropped
    // from now on): released, it meets no document.
    for (const ready of order.forget(checkoutStream(checkoutId))) apply(ready);
  };
  /** Retires the due ones from the front; one finished a little out of order waits at most for those before it. */
  const sweep = () => {
    const cutoff = now() - retentionMs;
    for (const [checkoutId, finishedAt] of finished) {
      if (finishedAt > cutoff) break;
      retire(checkoutId, finishedAt);
    }
    for (const [checkoutId, until] of retired) {
      if (until > logClock) break;
      retired.delete(checkoutId);
    }
  };

  const apply = (joined: JoinedEvent) => {
    const checkoutId = checkoutOf(joined, (id) => owners.get(id));
    if (!checkoutId) return;
    const doc = docs.get(checkoutId);
    // Causal delivery applies a checkout's start before anything else about it: no document
    // means it was retired, and what still arrives about it is not the view's business.
    if (!doc && !(joined.kind === 'checkout' && joined.event.type === 'CheckoutStarted')) return;
    if (joined.kind === 'sku' && joined.event.type === 'StockReserved') owners.set(joined.event.data.reservationId, checkoutId);
    const next = evolveOrder(doc ?? emptyOrder(checkoutId), joined);
    docs.set(checkoutId, next);
    metrics.causalDelivered.inc({ consumer: 'orders' });
    if (!finished.has(checkoutId) && isFinished(next)) {
      const finishedAt = Date.parse(joined.event.at);
      // Replaying history at start: long finished, forgotten at once.
      if (finishedAt <= now() - retentionMs) retire(checkoutId, finishedAt);
      else finished.set(checkoutId, finishedAt);
    }
  };
  const take = (joined: JoinedEvent) => {
    const at = Math.min(now(), Date.parse(joined.event.at));
    if (at > logClock) logClock = at;
    // A copy of a retired checkout's event: its stream is forgotten, so offered it would wait for
    // versions 1, 2, … for ever.
    if (joined.kind === 'checkout' && retired.has(joined.event.checkoutId)) return;
    // A checkout's log is one partition, read from its start: a stream met first past its start
    // belongs to a checkout retired so long ago that its id was forgotten too (a late cancel of
    // an abandoned cart, say). Held, it would wait for versions that never come again.
    if (joined.kind === 'checkout' && joined.event.type !== 'CheckoutStarted' && !order.knows(checkoutStream(joined.event.checkoutId))) return;
    for (const ready of order.offer(joined, now())) apply(ready);
  };
  const offer = (joined: JoinedEvent | null, record: ConsumedRecord) => {
    if (!joined) {
      logger.error({ topic: record.topic, offset: record.offset, key: record.key }, 'undecodable record skipped by the order view');
      return;
    }
    take(joined);
    sweep();
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
      onBatch: async (records) => {
        const events = await readSkuRecords(records, edge);
        records.forEach((r, i) => offer(joinedSku(events[i] ?? null), r));
      },
    }),
    log.subscribe({
      groupId: `orders-view-checkouts-${id}`,
      topic: CHECKOUTS_TOPIC,
      fromBeginning: true,
      commit: false,
      onBatch: async (records) => records.forEach((r) => offer(joinedCheckout(decodeCheckoutRecord(r)), r)),
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

  const pulls = edgePulls({
    edge,
    order,
    offer: (events) => {
      for (const event of events) take({ kind: 'sku', event });
      sweep();
    },
    metrics,
    logger,
    graceMs: pullGraceSeconds * 1000,
    now,
  });
  const puller = setInterval(() => pulls.check(), PULL_CHECK_EVERY_MS);
  puller.unref();

  const watch = setInterval(() => {
    const health = causal();
    const stuck = health.oldestHeldSeconds !== null && health.oldestHeldSeconds > holdAlertSeconds;
    if (stuck && !alerting) logger.error({ ...health }, 'order view: events held past the alert threshold; their causes have not arrived');
    if (!stuck && alerting) logger.info({ held: health.held }, 'order view: held events released');
    alerting = stuck;
    sweep();
  }, CHECK_EVERY_MS);
  watch.unref();

  return {
    get: (checkoutId) => {
      sweep();
      const doc = docs.get(checkoutId);
      return doc ? orderView(doc) : null;
    },
    isRetired: (checkoutId) => {
      sweep();
      return retired.has(checkoutId);
    },
    get size() {
      return docs.size;
    },
    get streams() {
      return order.streams;
    },
    causal,
    stop: async () => {
      clearInterval(watch);
      clearInterval(puller);
      pulls.stop();
      metrics.causalSources.delete('orders');
      await Promise.all(subscriptions.map((s) => s.stop()));
    },
  };
}

const joinedSku = (event: SkuEvent | null): JoinedEvent | null => event && { kind: 'sku', event };
const joinedCheckout = (event: CheckoutRecord | null): JoinedEvent | null => event && { kind: 'checkout', event };
