import { Hono, type Context } from 'hono';
import type { Archiver } from '../archive/archiver';
import type { ObjectStore } from '../archive/objectStore';
import type { GroupMember } from '../eventLog/port';
import { SnapshotsTakenSchema, type ArchiveReport, type SnapshotsTaken } from '../archive/wire';
import { bridgeErrorResponse } from './errors';

export type ArchiveRouteDeps = {
  store: ObjectStore;
  /** This replica's archiver; null while it starts. */
  archiver: () => Archiver | null;
  members: () => Promise<GroupMember[]>;
  self: () => string | null;
};

const MEMBER_TIMEOUT_MS = 60_000;
type Taken = SnapshotsTaken['taken'][number];

/**
 * The archive's state and snapshots on demand (`inventory archive`). A snapshot covers the
 * partitions a replica owns, so the replica asked asks every other member of the archiver group
 * too, and answers what each wrote, or which could not be reached.
 */
export function archiveRoutes({ store, archiver, members, self }: ArchiveRouteDeps) {
  const app = new Hono();

  app.get('/', async (c) => {
    const group = await members();
    const report: ArchiveReport = { bucket: store.where, status: archiver()?.status() ?? null, members: group.map(({ endpoint, partitions }) => ({ endpoint, partitions })) };
    return c.json(report);
  });

  app.post('/snapshots', async (c) => {
    const local = archiver();
    if (!local) return bridgeErrorResponse(c, { code: 'group_unavailable', message: 'this replica\'s archiver is still starting', retryAfterSeconds: 5 });
    const mine: Taken = { endpoint: self(), keys: await local.snapshotNow() };
    if (c.req.query('scope') === 'replica') return c.json({ taken: [mine], unreachable: [] } satisfies SnapshotsTaken);
    const others = (await members()).filter((m) => m.endpoint !== self());
    const answers = await Promise.all(others.map((member) => askMember(c, member)));
    const taken: SnapshotsTaken = { taken: [mine, ...answers.flatMap((a) => ('keys' in a ? [a] : []))], unreachable: answers.flatMap((a) => ('failed' in a ? [a.failed] : [])) };
    return c.json(taken);
  });

  return app;
}

async function askMember(c: Context, member: GroupMember): Promise<Taken | { failed: string }> {
  try {
    const response = await fetch(new URL('/admin/archive/snapshots?scope=replica', member.endpoint), {
      method: 'POST',
      headers: { authorization: c.req.header('authorization') ?? '' },
      signal: AbortSignal.timeout(MEMBER_TIMEOUT_MS),
    });
    if (!response.ok) return { failed: member.endpoint };
    const { taken } = SnapshotsTakenSchema.parse(await response.json());
    return { endpoint: member.endpoint, keys: taken.flatMap((t) => t.keys) };
  } catch {
    return { failed: member.endpoint };
  }
}
