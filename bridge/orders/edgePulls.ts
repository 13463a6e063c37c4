import { streamSku, type VectorClock } from '../../src/domain/core/vectorClock';
import type { SkuEvent } from '../../src/domain/sku';
import type { EdgeClient } from '../edge/client';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';

export type EdgePulls = { check(): void; stop(): void };

export type EdgePullsOptions = {
  edge: EdgeClient;
  /** What the held events wait for that has not arrived, and how far each stream is delivered (a `CausalOrder`). */
  order: { absent(): VectorClock; deliveredOf(stream: string): number };
  /** Takes the pulled events, in version order; copies already delivered are dropped there. */
  offer: (events: SkuEvent[]) => void;
  metrics: Metrics;
  logger: Logger;
  /** How long an SKU stream may wait without moving before its missing events are pulled. */
  graceMs: number;
  now: () => number;
};

/** The label of the order view's pulls in `bridge_consumer_causal_pulls_total`. */
export const PULLS_GROUP = 'orders-view';
const MAX_IN_FLIGHT = 4;
const FIRST_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 60_000;

/** An SKU stream held events wait for: how far it was delivered when last seen, and when to pull. */
type Gap = { delivered: number; dueAt: number; backoffMs: number; pulling: boolean };

/**
 * Fills from the edge (each SKU's Durable Object, the source of truth) the SKU events that held
 * events wait for and the log does not bring: a record lost on the way, or one behind in a
 * partition not read yet. `check()` runs on a timer, never per event, and pulls only a stream
 * that has not moved for `graceMs`: while the log is still delivering a stream (a replay, one
 * topic read ahead of the other) waiting costs nothing, and a lost record stops its stream at
 * once. At most one pull per stream and a few in all are in flight; a failed pull is retried
 * after a doubling backoff. Checkout streams have no source but the log for the bridge: they are
 * waited for, and the order view's hold alert reports them.
 */
export function edgePulls({ edge, order, offer, metrics, logger, graceMs, now }: EdgePullsOptions): EdgePulls {
  const gaps = new Map<string, Gap>();
  let inFlight = 0;
  let stopped = false;

  const pull = async (stream: string, sku: string, gap: Gap, needed: number) => {
    gap.pulling = true;
    inFlight++;
    try {
      // Everything after what was delivered up to the highest version waited for: a stream is
      // delivered in order, so the versions in between are needed too (copies of those held
      // already are dropped).
      const events = await edge.eventsBetween(sku, gap.delivered, needed + 1);
      if (stopped) return;
      metrics.consumerCausalPulls.inc({ group: PULLS_GROUP }, events.length);
      logger.warn({ sku, after: gap.delivered, upTo: needed, fetched: events.length }, 'order view: SKU events the log did not bring pulled from the edge');
      gaps.delete(stream);
      offer(events);
    } catch (error) {
      gap.dueAt = now() + gap.backoffMs;
      gap.backoffMs = Math.min(gap.backoffMs * 2, MAX_BACKOFF_MS);
      logger.warn({ sku, err: error, retryInMs: gap.dueAt - now() }, 'order view: pulling SKU events from the edge failed');
    } finally {
      gap.pulling = false;
      inFlight--;
    }
  };

  return {
    check() {
      if (stopped) return;
      const t = now();
      const absent = order.absent();
      for (const [stream, gap] of gaps) if (!gap.pulling && !Object.hasOwn(absent, stream)) gaps.delete(stream);
      for (const [stream, needed] of Object.entries(absent)) {
        const sku = streamSku(stream);
        if (sku === null) continue;
        let gap = gaps.get(stream);
        if (gap?.pulling) continue;
        const delivered = order.deliveredOf(stream);
        // New, or the log moved it on since: it gets a fresh grace.
        if (!gap || gap.delivered !== delivered) gaps.set(stream, (gap = { delivered, dueAt: t + graceMs, backoffMs: FIRST_BACKOFF_MS, pulling: false }));
        if (t >= gap.dueAt && inFlight < MAX_IN_FLIGHT) void pull(stream, sku, gap, needed);
      }
    },
    stop() {
      stopped = true;
    },
  };
}
