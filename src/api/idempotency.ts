import type { IdempotencyInput } from '../../durable-objects/sku/idempotency';
import { sha256Hex, type Principal } from './auth';

/**
 * Scopes a key to (key owner, customer, route) so that one caller can never replay another's
 * response, and fingerprints the normalised request so a different body is recognised.
 */
export async function idempotencyInput(
  principal: Principal,
  customerId: string,
  route: string,
  key: string,
  request: unknown,
): Promise<IdempotencyInput> {
  return {
    scope: [principal.owner, customerId, route, key].join('\n'),
    requestHash: await sha256Hex(JSON.stringify(request)),
  };
}
