import type { Context } from 'hono';
import type { Outcome } from '../contract/outcome';
import { errorResponse } from './errors';

/**
 * Turns an object's outcome into a response. A replayed outcome answers exactly as the first
 * time (same status, same body) and says so in `Idempotent-Replayed`.
 */
export function respond<T>(c: Context, outcome: Outcome<T>, status: 200 | 201 | 202 = 200): never {
  if (outcome.replayed) c.header('Idempotent-Replayed', 'true');
  const response = outcome.ok ? c.json(outcome.value as object, status) : errorResponse(c, outcome.error);
  // Routes declare every status this can produce; `never` lets each route keep its typed contract.
  return response as never;
}
