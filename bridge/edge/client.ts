import { z } from 'zod';
import {
  EventPageSchema,
  GenerationsSchema,
  ProjectionBatchResultSchema,
  ShadowAbandonedSchema,
  ShadowCreatedSchema,
  StatsSchema,
  type AllocationOutcome,
  type ProjectionBatch,
  type ProjectionBatchResult,
} from '../../src/contract/schemas';
import { RebuildsSchema, type RebuildReport, type Rebuilds } from '../../src/contract/rebuildStatus';
import { MovementResultSchema, type MovementCommand, type MovementResult } from '../../src/contract/movements';
import type { SkuEvent } from '../../src/domain/sku';
import { parseSecrets, signatureHeaders } from '../../src/contract/signature';

/** What the SKU object said to a verdict: the edge's status and error code (null on success). */
/** `reservation`: on a 200, the reservation as the verdict left it (a failed allocation may have moved it to another location). */
export type VerdictReply = { status: number; code: string | null; details: Record<string, unknown>; reservation?: { status: string; location?: string } };

export type EdgeClient = {
  /** The SKU's events with after < version < before, in order, from its Durable Object. */
  eventsBetween(sku: string, after: number, before: number): Promise<SkuEvent[]>;
  /** The saga's verdict on an allocation; throws only when the edge could not be asked. */
  allocation(sku: string, reservationId: string, verdict: AllocationOutcome): Promise<VerdictReply>;
  /** The read-model generations, and the steps of a blue-green rebuild. */
  generations(): Promise<Generations>;
  /**
   * A shadow leased to `rebuild`; a shadow whose lease ran out is retired (`superseded`). An
   * EdgeAnswerError (409 `rebuild_running`, the running rebuild in `details`) while another
   * rebuild holds the lease. `status` is kept by the registry (ADR 0006), as with the calls below.
   */
  createShadow(rebuild: string, leaseSeconds: number, status?: RebuildReport): Promise<ShadowCreated>;
  /** Keeps the shadow leased, reporting the progress; an EdgeAnswerError (400) once it is no longer the shadow. */
  renewShadow(generation: string, leaseSeconds: number, status?: RebuildReport): Promise<Generations>;
  /** Retires the shadow if it still is one (`abandoned: false` otherwise); `status`: the failed rebuild's last. */
  abandonShadow(generation: string, status?: RebuildReport): Promise<ShadowAbandoned>;
  /** Makes `generation`, which must still be the shadow, active; `status`: the rebuild's result. */
  switchToShadow(graceSeconds: number, generation: string, status?: RebuildReport): Promise<Generations>;
  /** The running rebuild and the last finished, as the registry has them: the same from every replica. */
  rebuilds(): Promise<Rebuilds>;
  /** Per SKU: what its object did with its view (one failing SKU fails only itself). */
  writeViews(batch: ProjectionBatch): Promise<ProjectionBatchResult>;
  /** Counters and reserve outcomes of up to 50 SKUs (the dashboard's live view); unknown SKUs left out. */
  stats(skus: readonly string[]): Promise<Stats>;
  /**
   * One warehouse document for a SKU (the feed): `applied: false` when the location counted it
   * already. An EdgeAnswerError (400 `invalid_command`) for a document the SKU refuses (a sharded
   * SKU, another warehouse's location, a location taken below 0 units).
   */
  movement(sku: string, body: MovementCommand): Promise<MovementResult>;
};

export type Stats = z.infer<typeof StatsSchema>;

export type Generations = z.infer<typeof GenerationsSchema>;
export type ShadowCreated = z.infer<typeof ShadowCreatedSchema>;
export type ShadowAbandoned = z.infer<typeof ShadowAbandonedSchema>;

/** The edge answered, with an error status: 4xx says the request will not succeed as it is. */
export class EdgeAnswerError extends Error {
  override readonly name = 'EdgeAnswerError';
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | null,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const PAGE = 1000;
const TIMEOUT_MS = 10_000;

/** The `error.code` and `error.details` of an edge error body, if it is one. */
function errorOf(text: string): { code: string | null; details: Record<string, unknown> } {
  try {
    const { code, details } = (JSON.parse(text) as { error?: { code?: unknown; details?: unknown } }).error ?? {};
    return { code: typeof code === 'string' ? code : null, details: typeof details === 'object' && details !== null ? (details as Record<string, unknown>) : {} };
  } catch {
    return { code: null, details: {} };
  }
}

/** Signed calls to the Worker's internal routes: the bridge's way back to the source of truth. */
export function createEdgeClient(baseUrl: string, secret: string, timeoutMs = TIMEOUT_MS): EdgeClient {
  const [signing] = parseSecrets(secret);
  if (!signing) throw new Error('the edge client needs INTERNAL_SECRET');

  async function signedFetch(method: 'GET' | 'POST', path: string, body = ''): Promise<Response> {
    const url = new URL(path, baseUrl);
    const headers = await signatureHeaders(signing!, { method, path: url.pathname + url.search, body }, Date.now());
    return fetch(url, {
      method,
      headers: method === 'POST' ? { ...headers, 'content-type': 'application/json' } : headers,
      ...(method === 'POST' ? { body } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
  }

  async function call<S extends z.ZodType>(schema: S, method: 'GET' | 'POST', path: string, body?: unknown): Promise<z.infer<S>> {
    const response = await signedFetch(method, path, body === undefined ? '' : JSON.stringify(body));
    if (!response.ok) {
      const text = await response.text();
      const { code, details } = errorOf(text);
      throw new EdgeAnswerError(`edge answered ${response.status} to ${method} ${path}: ${text.slice(0, 300)}`, response.status, code, details);
    }
    return schema.parse(await response.json());
  }

  return {
    generations: () => call(GenerationsSchema, 'GET', '/internal/projections'),
    createShadow: (rebuild, leaseSeconds, status) => call(ShadowCreatedSchema, 'POST', '/internal/projections/shadow', { rebuild, leaseSeconds, status }),
    renewShadow: (generation, leaseSeconds, status) => call(GenerationsSchema, 'POST', '/internal/projections/shadow/renew', { generation, leaseSeconds, status }),
    abandonShadow: (generation, status) => call(ShadowAbandonedSchema, 'POST', '/internal/projections/shadow/abandon', { generation, status }),
    switchToShadow: (graceSeconds, generation, status) => call(GenerationsSchema, 'POST', '/internal/projections/switch', { graceSeconds, generation, status }),
    rebuilds: () => call(RebuildsSchema, 'GET', '/internal/projections/rebuilds'),
    writeViews: (batch) => call(ProjectionBatchResultSchema, 'POST', '/internal/projections/views', batch),
    stats: (skus) => call(StatsSchema, 'POST', '/internal/stats', { skus }),
    movement: (sku, body) => call(MovementResultSchema, 'POST', `/internal/skus/${encodeURIComponent(sku)}/movements`, body),

    async eventsBetween(sku, after, before) {
      const events: SkuEvent[] = [];
      for (let cursor = after; cursor < before - 1; ) {
        const limit = Math.min(PAGE, before - 1 - cursor);
        const { events: got } = await call(EventPageSchema, 'GET', `/internal/skus/${encodeURIComponent(sku)}/events?after=${cursor}&limit=${limit}`);
        if (got.length === 0) throw new Error(`edge has no events of ${sku} after ${cursor}, below ${before}`);
        events.push(...got.filter((e) => e.version < before));
        cursor = got[got.length - 1]!.version;
      }
      return events;
    },

    async allocation(sku, reservationId, verdict) {
      const path = `/internal/skus/${encodeURIComponent(sku)}/reservations/${encodeURIComponent(reservationId)}/allocation`;
      const response = await signedFetch('POST', path, JSON.stringify(verdict));
      const body = (await response.json().catch(() => null)) as { error?: { code?: string; details?: Record<string, unknown> }; status?: string; location?: string } | null;
      if (response.status >= 500 || response.status === 401) {
        throw new Error(`edge answered ${response.status}${body?.error?.code ? ` ${body.error.code}` : ''}`);
      }
      const reservation = response.status === 200 && typeof body?.status === 'string' ? { reservation: { status: body.status, ...(body.location ? { location: body.location } : {}) } } : {};
      return { status: response.status, code: body?.error?.code ?? null, details: body?.error?.details ?? {}, ...reservation };
    },
  };
}
