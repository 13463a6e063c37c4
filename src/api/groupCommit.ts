import type { BatchAnswer, ReserveCall } from '../../durable-objects/Sku';
import type { ReservationView } from '../domain/sku';
import type { Outcome } from '../contract/outcome';
import { workerConfig } from '../config';
import { stub, type Env } from '../env';
import { Coalescer } from './coalescer';

/**
 * How long a reserve may wait in this isolate for its batch's answer before it is answered 503:
 * five times the default admission bound, so the object's own shedding acts first.
 */
export const MAX_BATCH_WAIT_MS = 5_000;

/** One coalescer per batch bound (one in practice: the bound is a var of the isolate's env). */
const coalescers = new Map<number, Coalescer<ReserveCall, BatchAnswer>>();

/**
 * A reserve on its shard's object, sent with the reserves queued for that object in this isolate
 * (`coalescer.ts`, ADR 0021); `batch` is how many went in its call. RESERVE_BATCH_MAX=1 sends
 * each reserve alone, as before group commit.
 */
export async function reserveGrouped(
  env: Env,
  stream: string,
  call: ReserveCall,
  keepAlive: (work: Promise<unknown>) => void,
): Promise<{ outcome: Outcome<ReservationView>; batch: number }> {
  const max = workerConfig(env).RESERVE_BATCH_MAX;
  if (max <= 1) return { outcome: await stub(env, stream).reserve(call.req, call.idempotency, call.ticket), batch: 1 };
  let coalescer = coalescers.get(max);
  if (!coalescer) coalescers.set(max, (coalescer = new Coalescer(max, MAX_BATCH_WAIT_MS)));
  const { answer, batch } = await coalescer.submit(stream, call, (calls) => stub(env, stream).reserveBatch(calls), keepAlive);
  // What the object threw deciding this reserve alone: a 500 for this request, as without batching.
  if ('thrown' in answer) throw new Error(answer.thrown);
  return { outcome: answer.outcome, batch };
}
