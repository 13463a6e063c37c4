import { Hono } from 'hono';
import type { EdgeClient } from '../edge/client';
import type { EventLog } from '../eventLog/port';
import type { Metrics } from '../metrics';
import type { CausalHealth } from '../orders/ordersView';

export type DashboardDeps = { log: EventLog; edge: EdgeClient; metrics: Metrics; causal: () => CausalHealth | null };

/** A part the dashboard shows, or why it cannot now (the edge down, say): never the whole page failing. */
async function part<T>(read: () => Promise<T> | T): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
  try {
    return { ok: true, value: await read() };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * `GET /admin/dashboard`: one snapshot of everything the live page draws. Counters are totals;
 * the page turns two snapshots into rates, so a poll missed or doubled skews nothing.
 */
export function dashboardData({ log, edge, metrics, causal }: DashboardDeps) {
  const app = new Hono();
  app.get('/', async (c) => {
    const active = metrics.activity.active();
    const [skus, generations, health, deadLetters, relayed] = await Promise.all([
      part(async () => (active.length === 0 ? [] : (await edge.stats(active)).skus)),
      part(() => edge.generations()),
      part(() => log.health()),
      part(() => metrics.sources.deadLetters()),
      part(async () => (await metrics.eventsRelayed.get()).values[0]?.value ?? 0),
    ]);
    return c.json({
      at: new Date().toISOString(),
      skus,
      relay: { eventsRelayed: relayed, worstLagSeconds: metrics.activity.worstLag(Date.now()) },
      sagas: metrics.sources.sagas(),
      deadLetters,
      causal: causal(),
      generations,
      log: health,
    });
  });
  return app;
}
