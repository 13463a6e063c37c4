import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** The bridge's failures, in the edge's error shape, mapped to HTTP in this one place. */
export type BridgeError =
  | { code: 'invalid_signature'; reason: string }
  | { code: 'invalid_request'; message: string; issues?: unknown }
  | { code: 'log_unavailable'; message: string }
  | { code: 'overloaded'; message: string; retryAfterSeconds: number }
  | { code: 'record_too_large'; message: string }
  | { code: 'unauthorized' }
  | { code: 'saga_not_found' }
  | { code: 'sagas_disabled' }
  | { code: 'group_unavailable'; message: string; retryAfterSeconds: number }
  /** `running`: the rebuild that holds the shadow, on whichever replica (ADR 0006). */
  | { code: 'rebuild_running'; message: string; running: { rebuild: string; generation: string; leaseUntil: number; endpoint: string | null } }
  /** The edge could not be asked, or refused, what the bridge needed of it. */
  | { code: 'edge_failed'; message: string }
  | { code: 'order_not_found' }
  | { code: 'order_retired'; message: string }
  | { code: 'orders_disabled' }
  | { code: 'not_found' }
  | { code: 'internal'; requestId: string };

const STATUS: Record<BridgeError['code'], ContentfulStatusCode> = {
  invalid_signature: 401,
  invalid_request: 400,
  log_unavailable: 503,
  overloaded: 503,
  record_too_large: 413,
  unauthorized: 401,
  saga_not_found: 404,
  sagas_disabled: 409,
  group_unavailable: 503,
  rebuild_running: 409,
  edge_failed: 502,
  order_not_found: 404,
  order_retired: 404,
  orders_disabled: 409,
  not_found: 404,
  internal: 500,
};

const FIXED_MESSAGE = {
  unauthorized: 'missing or unknown admin bearer key',
  saga_not_found: 'no saga for this reservation',
  sagas_disabled: 'the WMS saga is not running in this bridge (disabled, or still starting)',
  order_not_found: 'no such checkout in the order view (not relayed yet, unknown, or finished and retired from the view; the edge still answers for it)',
  orders_disabled: 'the order view is not running in this bridge (ORDERS=off, or still starting)',
  not_found: 'no such route',
} as const;

/** Invariant overload-is-an-answer: 503 with Retry-After, never a 500. */
export function bridgeErrorResponse(c: Context, error: BridgeError) {
  const body =
    error.code === 'invalid_signature'
      ? { code: error.code, message: `internal call refused: signature ${error.reason}`, details: { reason: error.reason } }
      : error.code === 'invalid_request'
        ? { code: error.code, message: error.message, ...(error.issues ? { details: { issues: error.issues } } : {}) }
        : error.code === 'rebuild_running'
          ? { code: error.code, message: error.message, details: error.running }
          : error.code === 'internal'
            ? { code: error.code, message: `the bridge failed (request ${error.requestId}; its log has the cause)`, details: { requestId: error.requestId } }
            : 'message' in error
              ? { code: error.code, message: error.message }
              : { code: error.code, message: FIXED_MESSAGE[error.code] };
  if (error.code === 'overloaded' || error.code === 'group_unavailable') c.header('retry-after', String(error.retryAfterSeconds));
  return c.json({ error: body }, STATUS[error.code]);
}
