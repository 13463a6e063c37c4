import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEdgeClient } from '../../bridge/edge/client';
import { EmbeddedEventLog } from '../../bridge/eventLog/embedded';
import { EVENTS_TOPIC, TOPICS } from '../../bridge/eventLog/topics';
import { createLogger } from '../../bridge/logger';
import { startRebuild } from '../../bridge/projections/rebuild';
import { BENCH_STOREFRONT_KEY, edgeCall, type RunningEdge } from '../lib/edge';
import { round } from '../relay/figures';

const APPEND_BATCH = 1_000;

/**
 * The bridge's blue-green rebuild of one hot SKU from offset 0: its whole log (read from the
 * object, as the relay would have put it in the events topic) in an embedded log, replayed by the
 * bridge's own rebuild into a shadow generation of the real edge, then switched. The replay rate
 * is timed to the first moment the rebuild is past its replay.
 */
export async function rebuildHotSku(edge: RunningEdge, sku: string, secret: string) {
  const client = createEdgeClient(edge.url, secret, 60_000);
  const { json: before } = await edgeCall(edge.url, 'GET', `/v1/skus/${sku}?consistent=true`, BENCH_STOREFRONT_KEY);
  const dir = mkdtempSync(join(tmpdir(), 'bench-history-log-'));
  const log = new EmbeddedEventLog(dir);
  try {
    await log.ensureTopics(TOPICS);
    for (let after = 0; after < before.version; after += APPEND_BATCH) {
      const events = await client.eventsBetween(sku, after, Math.min(before.version, after + APPEND_BATCH) + 1);
      await log.append(EVENTS_TOPIC, events.map((e) => ({ key: e.sku, value: JSON.stringify(e) })));
    }
    const { status, done } = await startRebuild({ log, edge: client, logger: createLogger('silent'), from: 'beginning', graceSeconds: 1 });
    let replayedAt: number | null = null;
    const watch = setInterval(() => {
      if (status.phase !== 'replaying') replayedAt ??= Date.now();
    }, 20);
    await done;
    clearInterval(watch);
    if (status.state !== 'switched') throw new Error(`rebuild ${status.state}: ${status.error}`);
    replayedAt ??= status.finishedAt!;
    const { json: view } = await edgeCall(edge.url, 'GET', `/v1/skus/${sku}`, BENCH_STOREFRONT_KEY);
    const replaySeconds = (replayedAt - status.startedAt) / 1000;
    return {
      events: status.read,
      replaySeconds: round(replaySeconds, 2),
      replayEventsPerSecond: round(status.read / replaySeconds),
      totalSeconds: round((status.finishedAt! - status.startedAt) / 1000, 2),
      // The switched generation serves the rebuilt view: the object's counters at that version or later.
      viewVersion: view.version,
      objectVersion: before.version,
    };
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
