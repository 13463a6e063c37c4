import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** The bridge's failures, in the edge's error shape, mapped to HTTP in this one place. */
export type BridgeError =
  | { code: 'invalid_signature'; reason: string }
  | { code: 'invalid_request'; message: string; issues?: unknown }
  | { code: 'log_unavailable'; message: string };

const STATUS: Record<BridgeError['code'], ContentfulStatusCode> = {
  invalid_signature: 401,
  invalid_request: 400,
  log_unavailable: 503,
};

export function bridgeErrorResponse(c: Context, error: BridgeError) {
  const body =
    error.code === 'invalid_signature'
      ? { code: error.code, message: `internal call refused: signature ${error.reason}`, details: { reason: error.reason } }
      : error.code === 'invalid_request'
        ? { code: error.code, message: error.message, ...(error.issues ? { details: { issues: error.issues } } : {}) }
        : { code: error.code, message: error.message };
  return c.json({ error: body }, STATUS[error.code]);
}
