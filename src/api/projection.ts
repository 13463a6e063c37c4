import { viewKey, type StoredView } from '../../durable-objects/sku/projection';
import type { SkuCounters } from '../domain/sku';
import type { Env } from '../env';
import { generations } from './generations';

/** The SKU's view in the active generation, or null when it has none (yet). */
export async function projectedView(env: Env, sku: string): Promise<SkuCounters | null> {
  const { active } = await generations(env);
  const stored = await env.PROJECTIONS.get<StoredView>(viewKey(active, sku), 'json');
  if (!stored) return null;
  const { writtenAt: _writtenAt, seq: _seq, ...counters } = stored;
  return counters;
}
