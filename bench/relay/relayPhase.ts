import type { BridgeProcess } from '../../test/e2e/support/processes';
import { waitFor } from '../../test/e2e/support/system';
import type { RunningEdge } from '../lib/edge';
import { awaitRelayed, sendSpan, type EventsWatcher } from './eventsWatcher';
import { mean, percentile, round } from './figures';
import { lastVersions } from './outboxes';
import { PARAMS, SKUS } from './params';
import { createSkus, reserveAll } from './reservations';
import { sampleRss } from './rss';

/**
 * The relay while reservations are being made: it can go no faster than the Worker answers them.
 * The window runs from the first reservation to the last event's send to Kafka.
 */
export async function runRelay(edge: RunningEdge, bridge: BridgeProcess, watcher: EventsWatcher) {
  await createSkus(edge);
  // The StockSet events are relayed before the clock starts: the window holds reservations only.
  const setup = new Map(SKUS.map((sku) => [sku, 1]));
  await waitFor('the StockSet events in Kafka', async () => watcher.missing(setup).length === 0, 60_000, 100);

  const rss = sampleRss(bridge.pid, PARAMS.rssSampleMs);
  const startedAt = Date.now();
  await reserveAll(edge, 0, PARAMS.events);
  const answeredAt = Date.now();

  const last = await lastVersions(edge);
  const memory = await rss.until(awaitRelayed(watcher, last));

  const measured = SKUS.flatMap((sku) => watcher.copies(sku, 2, last.get(sku)!));
  // The end is when the last event was produced (its Kafka timestamp is the bridge's send time),
  // not when this consumer happened to see it.
  const endedAt = sendSpan(measured).lastAt;
  const seconds = (endedAt - startedAt) / 1000;
  const lags = measured.map((c) => c.kafkaTimestamp - c.at).sort((a, b) => a - b);
  const all = SKUS.flatMap((sku) => watcher.copies(sku, 1, last.get(sku)!));
  return {
    relay: {
      events: measured.length,
      eventsInKafka: all.length,
      recordsBeforeDedupe: watcher.records,
      duplicates: watcher.records - all.length,
      missing: 0,
      seconds: round(seconds, 3),
      eventsPerSecond: round(measured.length / seconds),
      requestsPerSecond: round(PARAMS.events / ((answeredAt - startedAt) / 1000)),
      drainAfterLastAnswerSeconds: round((endedAt - answeredAt) / 1000, 3),
      lagMs: { p50: percentile(lags, 0.5), p99: percentile(lags, 0.99), max: lags[lags.length - 1]! },
      avgEventBytes: Math.round(mean(all.map((c) => c.bytes))),
    },
    memory,
  };
}
