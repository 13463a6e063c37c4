import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { AllocationSagaSchema, SAGA_PHASES, type AllocationSaga } from '../../src/domain/allocation';
import type { GroupMember } from '../eventLog/port';
import type { SagaRunner } from '../saga/runner';
import type { SagaStore } from '../saga/store';
import { bridgeErrorResponse } from './errors';

/** How long a replica waits for another's answer before it says the group could not be asked. */
const MEMBER_TIMEOUT_MS = 2_000;

export type SagaGroupDeps = {
  /** This replica's running sagas; null while they start, or when the bridge runs without them. */
  local: () => { store: SagaStore; runner: SagaRunner } | null;
  /** The saga group's members and their partitions; empty while it rebalances. */
  members: () => Promise<GroupMember[]>;
  /** This replica's advertised endpoint (how the others reach it). */
  self: () => string | null;
};

const SagaQuerySchema = z.object({
  phase: z.enum(SAGA_PHASES).optional(),
  sku: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(100_000).default(100),
  /** `local`: this replica's own sagas only (how replicas ask each other). */
  scope: z.enum(['group', 'local']).default('group'),
});
const ScopeSchema = z.object({ scope: z.enum(['group', 'local']).default('group') });
const SagaListSchema = z.object({ total: z.int(), sagas: z.array(AllocationSagaSchema) });
const SkuCountsSchema = z.object({ skus: z.array(z.object({ sku: z.string(), sagas: z.int() })) });
/** One replica's part of the group: what it advertises, owns and runs (null: the saga is off or starting). */
const ReplicaSchema = z.object({ endpoint: z.string().nullable(), partitions: z.array(z.int()), sagas: z.record(z.enum(SAGA_PHASES), z.int()).nullable() });

type Asked<T> = { answered: T[]; unreachable: string[] };

/**
 * Saga lookups for a group of replicas (docs/adr/0001-bridge-as-a-group.md): each replica holds
 * the sagas of the partitions it owns, so a question about one it does not hold is asked of the
 * others, found by the group's own membership (the endpoints they advertise). A replica never
 * answers "no saga" for a saga it simply does not own: 404 only when every member answered so,
 * 503 while the group rebalances or a member cannot be reached.
 */
export function sagaRoutes({ local, members, self }: SagaGroupDeps) {
  const app = new Hono();

  /** Asks every other member `path` (this replica's own sagas are the caller's to add). */
  async function askOthers<T>(c: Context, method: 'GET' | 'POST', path: string, schema: z.ZodType<T>): Promise<Asked<T> | null> {
    const group = await members();
    if (group.length === 0) return null;
    const others = group.filter((m) => m.endpoint !== self());
    const answers = await Promise.all(
      others.map(async (member): Promise<{ found: T | null } | { failed: string }> => {
        try {
          const response = await fetch(new URL(path, member.endpoint), {
            method,
            headers: { authorization: c.req.header('authorization') ?? '' },
            signal: AbortSignal.timeout(MEMBER_TIMEOUT_MS),
          });
          if (response.status === 404) return { found: null };
          if (!response.ok) return { failed: member.endpoint };
          return { found: schema.parse(await response.json()) };
        } catch {
          return { failed: member.endpoint };
        }
      }),
    );
    return {
      answered: answers.flatMap((a) => ('found' in a && a.found !== null ? [a.found] : [])),
      unreachable: answers.flatMap((a) => ('failed' in a ? [a.failed] : [])),
    };
  }

  const groupUnavailable = (c: Context, unreachable: string[] | null) =>
    bridgeErrorResponse(c, {
      code: 'group_unavailable',
      message: unreachable
        ? `not every bridge replica answered (${unreachable.join(', ')}): the saga may be theirs; try again`
        : 'the bridge replicas are rebalancing their partitions; try again in a moment',
      retryAfterSeconds: 1,
    });

  /** One saga, from whichever replica owns it. */
  const owned = async (c: Context, method: 'GET' | 'POST', suffix: string, here: (sagas: NonNullable<ReturnType<typeof local>>, id: string) => AllocationSaga | null) => {
    const sagas = local();
    if (!sagas) return bridgeErrorResponse(c, { code: 'sagas_disabled' });
    const id = c.req.param('id')!;
    const mine = here(sagas, id);
    if (mine) return c.json(mine);
    if (ScopeSchema.parse(c.req.query()).scope === 'local') return bridgeErrorResponse(c, { code: 'saga_not_found' });
    const asked = await askOthers(c, method, `/admin/sagas/${encodeURIComponent(id)}${suffix}?scope=local`, AllocationSagaSchema);
    if (!asked) return groupUnavailable(c, null);
    const [found] = asked.answered;
    if (found) return c.json(found);
    if (asked.unreachable.length > 0) return groupUnavailable(c, asked.unreachable);
    return bridgeErrorResponse(c, { code: 'saga_not_found' });
  };

  app.get('/sagas', async (c) => {
    const sagas = local();
    if (!sagas) return bridgeErrorResponse(c, { code: 'sagas_disabled' });
    const query = SagaQuerySchema.safeParse(c.req.query());
    if (!query.success) return bridgeErrorResponse(c, { code: 'invalid_request', message: 'invalid query', issues: query.error.issues });
    const { phase, sku, limit, scope } = query.data;
    const matching = [...sagas.store.all()].filter((s) => (!phase || s.phase === phase) && (!sku || s.sku === sku));
    let total = matching.length;
    if (scope === 'group') {
      const search = new URLSearchParams({ ...(phase ? { phase } : {}), ...(sku ? { sku } : {}), limit: String(limit), scope: 'local' });
      const asked = await askOthers(c, 'GET', `/admin/sagas?${search.toString()}`, SagaListSchema);
      if (!asked) return groupUnavailable(c, null);
      if (asked.unreachable.length > 0) return groupUnavailable(c, asked.unreachable);
      for (const answer of asked.answered) {
        matching.push(...answer.sagas);
        total += answer.total;
      }
    }
    matching.sort((a, b) => a.startedAt - b.startedAt);
    return c.json({ total, sagas: matching.slice(0, limit) });
  });

  app.get('/sagas/:id', (c) => owned(c, 'GET', '', (sagas, id) => sagas.store.get(id) ?? null));

  app.post('/sagas/:id/retry', (c) => owned(c, 'POST', '/retry', (sagas, id) => (sagas.runner.retry(id) ? (sagas.store.get(id) ?? null) : null)));

  app.get('/skus', async (c) => {
    const sagas = local();
    if (!sagas) return bridgeErrorResponse(c, { code: 'sagas_disabled' });
    const skus = new Map<string, number>();
    for (const saga of sagas.store.all()) skus.set(saga.sku, (skus.get(saga.sku) ?? 0) + 1);
    if (ScopeSchema.parse(c.req.query()).scope === 'group') {
      const asked = await askOthers(c, 'GET', '/admin/skus?scope=local', SkuCountsSchema);
      if (!asked) return groupUnavailable(c, null);
      if (asked.unreachable.length > 0) return groupUnavailable(c, asked.unreachable);
      for (const answer of asked.answered) for (const { sku, sagas: n } of answer.skus) skus.set(sku, (skus.get(sku) ?? 0) + n);
    }
    return c.json({ skus: [...skus].map(([sku, count]) => ({ sku, sagas: count })).sort((a, b) => a.sku.localeCompare(b.sku)) });
  });

  /**
   * Which replica owns which partitions of the saga group, and each one's sagas by phase (asked
   * of it: null for one that did not answer), for `status`, `group` and the dashboard.
   */
  app.get('/group', async (c) => {
    const mine = { endpoint: self(), partitions: local()?.store.partitions() ?? [], sagas: local()?.store.countByPhase() ?? null };
    if (ScopeSchema.parse(c.req.query()).scope === 'local') return c.json(mine);
    const group = await members();
    const asked = group.length > 1 ? await askOthers(c, 'GET', '/admin/group?scope=local', ReplicaSchema) : null;
    const sagasOf = (endpoint: string) => (endpoint === self() ? mine.sagas : (asked?.answered.find((r) => r.endpoint === endpoint)?.sagas ?? null));
    return c.json({
      self: mine.endpoint,
      partitions: mine.partitions,
      members: group
        .map((m) => ({ endpoint: m.endpoint, partitions: m.partitions, self: m.endpoint === self(), sagas: sagasOf(m.endpoint) }))
        .sort((a, b) => a.endpoint.localeCompare(b.endpoint)),
    });
  });

  return app;
}
