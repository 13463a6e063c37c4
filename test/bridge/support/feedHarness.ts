import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { EmbeddedEventLog } from '../../../bridge/eventLog/embedded';
import type { EventLog } from '../../../bridge/eventLog/port';
import { FEED_STATE_TOPIC, TOPICS } from '../../../bridge/eventLog/topics';
import { FeedCursorSchema } from '../../../bridge/feed/cursor';
import type { FeedEdge } from '../../../bridge/feed/edgeMovements';
import { startFeed, type RunningFeed } from '../../../bridge/feed/follower';
import { warehouseClients } from '../../../bridge/feed/warehouseClients';
import { createMetrics, type Metrics } from '../../../bridge/metrics';
import { straySweeps } from '../../../bridge/sap/sweep';
import type { Warehouse } from '../../../bridge/warehouses';

/**
 * What the feed specs (SOAP and SAP warehouses) share: embedded logs in a folder of the test
 * file's, removed after it; feeds started as the bridge starts them but with short polls and
 * backoffs, all stopped (and their logs closed) after each test; a warehouse's committed cursor.
 */
export function useFeeds(prefix: string) {
  let root = '';
  const running = new Set<RunningFeed>();
  const logs = new Set<EventLog>();
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), prefix));
  });
  afterEach(async () => {
    for (const feed of running) await feed.stop();
    running.clear();
    for (const log of logs) await log.close();
    logs.clear();
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  /** A log closed after the test. */
  function adopt<L extends EventLog>(log: L): L {
    logs.add(log);
    return log;
  }

  /** A log closed now, before the test ends. */
  async function close(log: EventLog): Promise<void> {
    await log.close();
    logs.delete(log);
  }

  /** A log in `dir` of this file's folder (the same `dir` again: the same log, reopened), closed after the test. */
  async function embeddedLog(dir: string): Promise<EmbeddedEventLog> {
    const log = adopt(new EmbeddedEventLog(join(root, dir), { pollMs: 20 }));
    await log.ensureTopics(TOPICS);
    return log;
  }

  /** `sweepEveryMs`: an SAP warehouse's stray sweep runs beside the feed, as the bridge runs it. */
  async function follow(log: EventLog, warehouse: Warehouse, edge: FeedEdge, options: { pageSize?: number; callTimeoutMs?: number; sweepEveryMs?: number } = {}): Promise<{ feed: RunningFeed; metrics: Metrics }> {
    const metrics = createMetrics();
    const clients = warehouseClients([warehouse]);
    const feed = await startFeed({
      log,
      warehouses: [warehouse],
      edge,
      clients,
      metrics,
      logger: pino({ level: 'silent' }),
      endpoint: 'http://feed.test:8798',
      pollMs: 30,
      pageSize: options.pageSize ?? 2,
      callTimeoutMs: options.callTimeoutMs ?? 2_000,
      backoffFirstMs: 20,
      backoffMaxMs: 200,
      ownedWork: options.sweepEveryMs === undefined ? undefined : straySweeps({ clients, everyMs: options.sweepEveryMs, callTimeoutMs: 2_000, logger: pino({ level: 'silent' }) }),
    });
    running.add(feed);
    return { feed, metrics };
  }

  /** A feed stopped before the test ends (not stopped again after it). */
  async function stop(feed: RunningFeed): Promise<void> {
    await feed.stop();
    running.delete(feed);
  }

  return { embeddedLog, adopt, close, follow, stop };
}

/** The cursor of `warehouse` its feed committed to the log, null before the first commit. */
export async function committedCursor(log: EventLog, warehouse: string) {
  const record = (await log.readAll(FEED_STATE_TOPIC)).find((r) => r.key === `cursor:${warehouse}`);
  return record ? FeedCursorSchema.parse(JSON.parse(record.value)) : null;
}

/** Polls `probe` until it answers something truthy, and answers that. */
export async function waitFor<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
