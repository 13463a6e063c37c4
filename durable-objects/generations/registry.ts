import type { GenerationsView } from './view';
import type { Env } from '../../src/env';
import { GenerationsCache, type FetchGenerations } from './cache';

export { RegistryUnavailableError } from './cache';

export const REGISTRY = 'registry';
/** How long an isolate trusts what it last heard; a switch reaches every reader within it. */
export const GENERATIONS_TTL_MS = 1_000;
/** The registry answers in milliseconds; a reader waits this long before falling back. */
export const REGISTRY_TIMEOUT_MS = 500;
/** How old a copy may be served while the registry does not answer (then readers ask the SKU objects). */
export const GENERATIONS_MAX_STALE_MS = 5 * 60_000;

const isolateCache = new GenerationsCache({ freshMs: GENERATIONS_TTL_MS, timeoutMs: REGISTRY_TIMEOUT_MS, maxStaleMs: GENERATIONS_MAX_STALE_MS });

/**
 * The generations, from the registry at most once a second per isolate, or the copy last heard
 * while the registry does not answer (see GenerationsCache). Throws RegistryUnavailableError when
 * neither is to be had: the caller reads from the SKU object instead.
 */
export function generations(
  env: Env,
  now = Date.now(),
  fetchCurrent: FetchGenerations = () => env.GENERATIONS.getByName(REGISTRY).current(),
): Promise<GenerationsView> {
  return isolateCache.get(now, fetchCurrent);
}

/**
 * The generations for a SKU object about to write its views: never a copy older than
 * `GENERATIONS_TTL_MS`. A reader may use an old copy (a retired generation's keys are gone, and a
 * missing key sends it to the object), but a writer using one could write a key into a
 * generation whose keys were deleted meanwhile, and no one would ever delete it.
 */
export function generationsForWriting(
  env: Env,
  now = Date.now(),
  fetchCurrent: FetchGenerations = () => env.GENERATIONS.getByName(REGISTRY).current(),
): Promise<GenerationsView> {
  return isolateCache.get(now, fetchCurrent, GENERATIONS_TTL_MS);
}
