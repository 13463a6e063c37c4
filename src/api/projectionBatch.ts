import type { Env } from '../env';
import { errorBody } from './errors';
import { overloadOf } from './overload';
import type { ProjectionBatch, ProjectionBatchResult, ProjectionOutcome } from '../contract/schemas';

type View = ProjectionBatch['views'][number];

/** How much of an unexpected error reaches the bridge: enough to tell one failure from another. */
const MESSAGE_CHARS = 300;

/**
 * A rebuild's batch, each view through its own SKU object, all at once. Every SKU answers for
 * itself: one object refusing, throwing or overloaded fails its own view, never the batch, so
 * the rebuild retries that SKU alone.
 */
export async function writeViews(env: Env, { generation, views }: ProjectionBatch): Promise<ProjectionBatchResult> {
  const outcomes = await Promise.all(views.map((view) => writeView(env, generation, view)));
  const counts = { written: 0, stale: 0, deferred: 0, failed: 0 };
  for (const outcome of outcomes) counts[outcome.result]++;
  if (counts.failed > 0) {
    const failed = outcomes.filter((o) => o.result === 'failed').slice(0, 5);
    console.warn(JSON.stringify({ level: 'warn', message: 'rebuild views failed', generation, failed: counts.failed, first: failed }));
  }
  return { ...counts, outcomes };
}

async function writeView(env: Env, generation: string, view: View): Promise<ProjectionOutcome> {
  const { sku } = view;
  try {
    const outcome = await env.SKU.getByName(sku).projectInto(sku, generation, view);
    if (outcome.ok) return { sku, result: outcome.value.result };
    const { code, message } = errorBody(outcome.error).error;
    return { sku, result: 'failed', code, message };
  } catch (error) {
    // Thrown by the object or on the way to it; an overloaded object says so (worth retrying later).
    return { sku, result: 'failed', code: overloadOf(error) ? 'overloaded' : 'internal', message: String(error).slice(0, MESSAGE_CHARS) };
  }
}
