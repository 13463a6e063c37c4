import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { CURSOR_KEY, FeedCursorSchema, type FeedCursor } from '../feed/cursor';
import type { RunningFeed } from '../feed/follower';
import { LocalFeedSchema, type Following, type WarehouseRow, type WarehousesReport } from '../feed/status';
import { probeWarehouse, type WarehouseClients } from '../feed/warehouseClients';
import { homePartition } from '../eventLog/partitioner';
import type { EventLog, GroupMember } from '../eventLog/port';
import { FEED_CONTROL_TOPIC, FEED_STATE_TOPIC } from '../eventLog/topics';
import type { Warehouse } from '../warehouses';

/** A replica's answer, and a warehouse's probe, are waited for this long. */
const ASK_TIMEOUT_MS = 2_000;

export type WarehouseRouteDeps = {
  log: EventLog;
  warehouses: readonly Warehouse[];
  clients: WarehouseClients;
  /** This replica's feed; null while it starts, or when the bridge runs with FEED=off. */
  feed: () => RunningFeed | null;
  feedOn: boolean;
  /** The feed group's members and their partitions; empty while it rebalances. */
  members: () => Promise<GroupMember[]>;
  self: () => string | null;
};

const ScopeSchema = z.object({ scope: z.enum(['group', 'local']).default('group') });

/**
 * `GET /admin/warehouses` (`inventory warehouses`): every configured warehouse with a probe of it
 * from this replica, its cursor as committed in the feed's state topic (any replica reads it),
 * its lag, and which replica follows it with that replica's live view, asked of it as
 * `/admin/sagas/{id}` asks the saga's owner. Any replica answers for the whole group.
 */
export function warehouseRoutes(deps: WarehouseRouteDeps) {
  const app = new Hono();

  app.get('/warehouses', async (c) => {
    const mine = deps.feed()?.following() ?? [];
    if (ScopeSchema.parse(c.req.query()).scope === 'local') return c.json({ endpoint: deps.self(), following: mine });
    const [committed, members, partitions, probes] = await Promise.all([
      committedCursors(deps.log),
      deps.feedOn ? deps.members() : Promise.resolve([]),
      deps.log.endOffsets(FEED_CONTROL_TOPIC).then((ends) => Math.max(1, ends.size)),
      Promise.all(deps.warehouses.map((w) => probeWarehouse(deps.clients, w.id, ASK_TIMEOUT_MS))),
    ]);
    const live = new Map<string, Following>(mine.map((f) => [f.warehouse, f]));
    for (const answer of await askOthers(c, members, deps.self())) for (const f of answer.following) if (!live.has(f.warehouse)) live.set(f.warehouse, f);
    const rows = deps.warehouses.map((warehouse, i): WarehouseRow => {
      const probe = probes[i]!;
      const partition = homePartition(warehouse.id, partitions);
      const follower = members.find((m) => m.partitions.includes(partition))?.endpoint ?? null;
      const following = live.get(warehouse.id) ?? null;
      const cursor = committed.get(warehouse.id) ?? null;
      const at = following?.cursor.sequence ?? cursor?.sequence ?? 0;
      return {
        id: warehouse.id,
        kind: warehouse.kind,
        url: warehouse.url,
        locations: warehouse.locations ?? null,
        priority: warehouse.priority ?? null,
        region: warehouse.region ?? null,
        health: { ok: probe.ok, detail: probe.detail, ms: probe.ms },
        latest: probe.latest,
        cursor,
        lag: probe.latest === null ? null : Math.max(0, probe.latest - at),
        follower: { partition, endpoint: follower, live: following },
      };
    });
    return c.json({ feed: deps.feedOn ? 'on' : 'off', asked: deps.self(), warehouses: rows } satisfies WarehousesReport);
  });

  return app;
}

/** The latest cursor of every warehouse, as committed by the owners (the compacted state topic). */
async function committedCursors(log: EventLog): Promise<Map<string, FeedCursor>> {
  const cursors = new Map<string, FeedCursor>();
  for (const record of await log.readAll(FEED_STATE_TOPIC)) {
    if (!record.key.startsWith(CURSOR_KEY)) continue;
    const cursor = FeedCursorSchema.safeParse(JSON.parse(record.value));
    if (cursor.success) cursors.set(cursor.data.warehouse, cursor.data);
  }
  return cursors;
}

/** The other members' live feeds; one that does not answer in time is left out (its warehouses show `live: null`). */
async function askOthers(c: Context, members: readonly GroupMember[], self: string | null): Promise<z.infer<typeof LocalFeedSchema>[]> {
  const others = members.filter((m) => m.endpoint !== self && m.partitions.length > 0);
  const answers = await Promise.all(
    others.map(async (member) => {
      try {
        const response = await fetch(new URL('/admin/warehouses?scope=local', member.endpoint), {
          headers: { authorization: c.req.header('authorization') ?? '' },
          signal: AbortSignal.timeout(ASK_TIMEOUT_MS),
        });
        return response.ok ? LocalFeedSchema.parse(await response.json()) : null;
      } catch {
        return null;
      }
    }),
  );
  return answers.filter((a) => a !== null);
}
