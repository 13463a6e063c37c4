import type { GenerationsView } from '../../durable-objects/Generations';
import type { Env } from '../env';

export const REGISTRY = 'registry';
/** How long an isolate trusts what it last heard; a switch reaches every reader within it. */
export const GENERATIONS_TTL_MS = 1_000;

let cached: { view: GenerationsView; at: number } | null = null;

/** The generations, from the registry at most once a second per isolate. */
export async function generations(env: Env, now = Date.now()): Promise<GenerationsView> {
  if (!cached || now - cached.at > GENERATIONS_TTL_MS) cached = { view: await env.GENERATIONS.getByName(REGISTRY).current(), at: now };
  return cached.view;
}
