import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ApiError } from '../contract/errors';
import { jitteredRetryAfter } from './overload';

const STATUS: Record<ApiError['code'], ContentfulStatusCode> = {
  invalid_request: 400,
  invalid_command: 400,
  unauthorized: 401,
  invalid_signature: 401,
  forbidden: 403,
  not_found: 404,
  sku_not_found: 404,
  reservation_not_found: 404,
  insufficient_stock: 409,
  customer_limit: 409,
  sale_not_started: 409,
  qty_over_maximum: 409,
  version_conflict: 409,
  below_committed: 409,
  location_fed: 409,
  reservation_released: 409,
  reservation_expired: 409,
  reservation_completed: 409,
  allocation_conflict: 409,
  checkout_not_found: 404,
  checkout_conflict: 409,
  checkout_refused: 409,
  idempotency_key_reused: 422,
  reservation_abandoned: 409,
  overloaded: 503,
  rate_limited: 429,
  wrong_shard: 503,
  rebuild_running: 409,
  internal: 500,
};

const MESSAGE: { [C in ApiError['code']]: (e: Extract<ApiError, { code: C }>) => string } = {
  invalid_request: (e) => e.message,
  invalid_command: (e) => e.reason,
  unauthorized: () => 'missing or unknown bearer key',
  invalid_signature: (e) => `internal call refused: signature ${e.reason.replace('_', ' ')}`,
  forbidden: () => 'this key may not use this route',
  not_found: () => 'no such route',
  sku_not_found: () => 'no such SKU',
  reservation_not_found: () => 'no such reservation',
  insufficient_stock: (e) => `only ${e.available} unit(s) available`,
  customer_limit: (e) => `at most ${e.limitPerCustomer} unit(s) per customer; this customer already has ${e.activeUnits}`,
  sale_not_started: (e) => `the sale opens at ${e.startsAt}`,
  qty_over_maximum: (e) => `at most ${e.maxQtyPerReservation} unit(s) per reservation`,
  version_conflict: (e) => `expected version ${e.expectedVersion} but the SKU is at version ${e.currentVersion}`,
  below_committed: (e) => `onHand cannot go below the ${e.committed} unit(s) already reserved or sold`,
  location_fed: (e) => `stock at ${e.location} is fed by warehouse ${e.warehouse}; post an adjustment instead`,
  reservation_released: (e) => `the reservation was released (${e.reason})`,
  reservation_expired: () => 'the reservation expired',
  reservation_completed: () => 'the purchase was completed and cannot be cancelled',
  allocation_conflict: () => 'the warehouse already allocated this reservation differently',
  checkout_not_found: () => 'no such checkout',
  checkout_conflict: (e) => `not possible while the checkout is ${e.status}`,
  checkout_refused: (e) => `${e.sku} could not be reserved (${e.reason}); nothing is held`,
  idempotency_key_reused: () => 'this Idempotency-Key was used with a different request',
  reservation_abandoned: () => 'the checkout was cancelled before this line was reserved',
  overloaded: (e) => `too busy to take this request now; retry in ${e.retryAfterSeconds} s (with the same Idempotency-Key)`,
  rate_limited: (e) => `too many requests for this ${e.scope === 'customer' ? 'customer' : 'API key'} now; retry in ${e.retryAfterSeconds} s`,
  wrong_shard: () => 'the SKU is being split over more shards; retry',
  rebuild_running: (e) =>
    `rebuild ${e.rebuild}${e.endpoint ? ` (bridge ${e.endpoint})` : ''} is running and holds shadow ${e.generation} until ${new Date(e.leaseUntil).toISOString()}: ` +
    'one rebuild at a time; follow it with `inventory projections status`, and start again once it ended (or its lease ran out, if its bridge died)',
  internal: () => 'internal error',
};

export type ErrorBody = { error: { code: string; message: string; details?: Record<string, unknown> } };

/** What the message (or a header) already says is not repeated in details. */
const SAID: Partial<Record<ApiError['code'], string>> = { invalid_request: 'message', invalid_command: 'reason', overloaded: 'retryAfterSeconds', rate_limited: 'retryAfterSeconds' };

export function errorBody(error: ApiError): ErrorBody {
  const { code, ...rest } = error;
  const message = (MESSAGE[code] as (e: ApiError) => string)(error);
  const details = Object.fromEntries(Object.entries(rest).filter(([k]) => k !== SAID[code]));
  return { error: { code, message, ...(Object.keys(details).length > 0 ? { details } : {}) } };
}

export const statusOf = (code: ApiError['code']): ContentfulStatusCode => STATUS[code];
export const errorStatus = (error: ApiError): ContentfulStatusCode => statusOf(error.code);

/** The one place where an error becomes an HTTP response. */
/** What of a Hono context an answer needs: any route's or middleware's context will do. */
type Answering = Pick<Context, 'json' | 'header'>;

export function errorResponse(c: Answering, error: ApiError): Response {
  // Invariant overload-is-an-answer: an answer that says when to come back, spread per request
  // (header and message alike) so that the buyers shed together do not return together.
  if (error.code === 'overloaded') {
    const jittered = { ...error, retryAfterSeconds: jitteredRetryAfter(error.retryAfterSeconds) };
    c.header('Retry-After', String(jittered.retryAfterSeconds));
    return c.json(errorBody(jittered), errorStatus(jittered));
  }
  if (error.code === 'rate_limited') c.header('Retry-After', String(error.retryAfterSeconds));
  return c.json(errorBody(error), errorStatus(error));
}
