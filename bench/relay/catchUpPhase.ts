import { waitFor } from '../../test/e2e/support/system';
import type { RunningEdge } from '../lib/edge';
import { answersHealthz, type BridgeRunner } from './bridgeRunner';
import type { EdgeLogs } from './edgeLogs';
import { awaitRelayed, sendSpan, type EventsWatcher } from './eventsWatcher';
import { mean, round } from './figures';
import { lastVersions, lastVersionsOf, pendingRows, relayStatuses, type SkuRelay } from './outboxes';
import { PARAMS, SKUS } from './params';
import { reserveAll } from './reservations';
import { sampleRss } from './rss';

/**
 * The relay at its own pace: with the bridge stopped, the reservations pile up in the outboxes
 * (the objects retry, backing off to RELAY_MAX_BACKOFF_SECONDS); the clock runs from the
 * restarted bridge answering healthy to the last backlog event in Kafka, so it includes the
 * objects' wait for their next retry, as a real recovery would.
 */
export async function runCatchUp(edge: RunningEdge, bridge: BridgeRunner, url: string, watcher: EventsWatcher, logs: EdgeLogs) {
  // Phase one's rows are gone from every outbox (acknowledged, not only in Kafka): the backlog is
  // then exactly this phase's reservations, and no push is cut short by the stop.
  await waitFor('the outboxes to empty', async () => pendingRows(await relayStatuses(edge)) === 0, 60_000, 100);
  const before = await lastVersions(edge);
  logs.expectRefusedPushes = true;
  await bridge.stop();

  const recordsBefore = watcher.records;
  const reservingAt = Date.now();
  await reserveAll(edge, PARAMS.events, PARAMS.catchUpEvents);
  const answeredAt = Date.now();
  const backlog = await checkBacklog(edge);
  const last = lastVersionsOf(backlog.statuses);

  const { pid, ready } = bridge.start();
  const healthyAt = await pollWhileStarting(ready, async () => ((await answersHealthz(url)) ? Date.now() : null));
  logs.expectRefusedPushes = false;
  const memory = await sampleRss(pid, PARAMS.rssSampleMs).until(awaitRelayed(watcher, last));
  // The phases after this one need it done starting (the rebuilds use its consumers).
  const restarted = await ready;

  const caughtUp = SKUS.flatMap((sku) => watcher.copies(sku, before.get(sku)! + 1, last.get(sku)!));
  const { firstAt, lastAt } = sendSpan(caughtUp);
  // /healthz is polled every 20 ms: if an object got in first, the window opens with its event,
  // so that none is counted outside it.
  const openedAt = Math.min(healthyAt, firstAt);
  const seconds = (lastAt - openedAt) / 1000;
  return {
    catchUp: {
      events: caughtUp.length,
      backlogRows: backlog.rows,
      duplicates: watcher.records - recordsBefore - caughtUp.length,
      missing: 0,
      seconds: round(seconds, 3),
      eventsPerSecond: round(caughtUp.length / seconds),
      // While the bridge was down: the Worker alone, with no relay competing for the cores.
      requestsPerSecond: round(PARAMS.catchUpEvents / ((answeredAt - reservingAt) / 1000)),
      relayedBeforeHealthy: caughtUp.filter((c) => c.kafkaTimestamp < healthyAt).length,
      // Mostly the objects' backoff: their next retry comes up to RELAY_MAX_BACKOFF_SECONDS later.
      firstEventAfterHealthySeconds: round((firstAt - healthyAt) / 1000, 3),
      eventsPerSecondFromFirstEvent: round(caughtUp.length / ((lastAt - firstAt) / 1000)),
      avgEventBytes: Math.round(mean(caughtUp.map((c) => c.bytes))),
      // While the bridge was down: one per SKU and retry, the backoff at work.
      refusedPushes: logs.refusedPushes,
    },
    memory,
    bridge: restarted,
  };
}

/** Polls `probe` every 20 ms until it answers something; gives up with the reason if `starting` fails first. */
async function pollWhileStarting<T>(starting: Promise<unknown>, probe: () => Promise<T | null>): Promise<T> {
  let failed = false;
  starting.catch(() => (failed = true));
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (failed) await starting;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The outboxes once the catch-up reservations are answered: one row per reservation. Fewer would
 * mean a push got through, so the bridge was not really down (something answered on its port).
 */
async function checkBacklog(edge: RunningEdge): Promise<{ statuses: Map<string, SkuRelay>; rows: number }> {
  const statuses = await relayStatuses(edge);
  const rows = pendingRows(statuses);
  if (rows !== PARAMS.catchUpEvents) throw new Error(`expected ${PARAMS.catchUpEvents} outbox rows with the bridge stopped, found ${rows}`);
  return { statuses, rows };
}
