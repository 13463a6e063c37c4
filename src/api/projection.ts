import { viewKey, type StoredView } from '../../durable-objects/sku/projection';
import { streamsOf, sumCounters, type SkuCounters } from '../domain/sku';
import type { Env } from '../env';
import { generations, RegistryUnavailableError } from '../../durable-objects/generations/registry';

/**
 * The SKU's view in the active generation as stored, or null when it has none (yet), or when no
 * generation is known (the registry does not answer and no recent copy of it is held): the caller
 * then asks the SKU object. A sharded SKU's view is the sum of its shards' (each shard writes its
 * own key, as the single writer of its stream), as old as the oldest of them; null if one is missing.
 */
export async function storedView(env: Env, sku: string): Promise<StoredView | null> {
  let active: string;
  try {
    ({ active } = await generations(env));
  } catch (error) {
    if (error instanceof RegistryUnavailableError) return null;
    throw error;
  }
  const first = await env.PROJECTIONS.get<StoredView>(viewKey(active, sku), 'json');
  if (!first?.shards || first.shards === 1) return first;
  const rest = await Promise.all(streamsOf(sku, first.shards).slice(1).map((s) => env.PROJECTIONS.get<StoredView>(viewKey(active, s), 'json')));
  if (rest.some((v) => v === null)) return null;
  const parts = [first, ...(rest as StoredView[])];
  return { ...sumCounters(sku, parts.map(countersOf)), writtenAt: Math.min(...parts.map((p) => p.writtenAt)), seq: 0 };
}

/** The counters a reader sees, without the write bookkeeping. */
export function countersOf(stored: StoredView): SkuCounters {
  const { writtenAt: _writtenAt, seq: _seq, ...counters } = stored;
  return counters;
}

/**
 * Whether a reservation may be refused at the edge as sold out without asking the object:
 * only when enabled and the view says nothing is left and was written within `freshMs`. A stale
 * view can only refuse a buyer, never oversell. Off by default: such a refusal is not recorded
 * under the request's Idempotency-Key, so a retry after a restock or a release may be granted,
 * and a buyer may be refused for up to `freshMs` after units came back.
 */
export function soldOutAtEdge(stored: StoredView | null, now: number, freshMs: number): boolean {
  return stored !== null && stored.available === 0 && now - stored.writtenAt <= freshMs;
}
