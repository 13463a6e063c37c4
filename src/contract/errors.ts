import type { Overloaded } from './admission';
import type { CommandError } from './outcome';

/**
 * Every error the edge API answers, by code: what clients program against. How each becomes an
 * HTTP status and message is the Worker's business (`src/api/errors.ts`).
 */

/** Refusals decided at the edge, before any Durable Object is touched. */
export type EdgeError =
  | { code: 'invalid_request'; message: string; issues?: unknown }
  | { code: 'unauthorized' }
  | { code: 'invalid_signature'; reason: 'missing' | 'malformed' | 'expired' | 'mismatch' | 'replayed' | 'not_configured' }
  | { code: 'forbidden' }
  | { code: 'not_found' }
  /** The sold-out fast path: refused from a fresh projection, the object was not asked. */
  | { code: 'insufficient_stock'; available: 0; source: 'projection' }
  /** The runtime could not get a call through to an object (see `src/api/overload.ts`). */
  | Overloaded
  /** Too many reserves or checkouts for one customer of a key, or for the key (issue 26, `src/api/rateLimits.ts`). */
  | { code: 'rate_limited'; scope: 'customer' | 'key'; retryAfterSeconds: number }
  /** One projection rebuild at a time for the whole group of bridges (ADR 0006). */
  | { code: 'rebuild_running'; rebuild: string; generation: string; leaseUntil: number; endpoint: string | null }
  | { code: 'internal' };

export type ApiError = CommandError | EdgeError;

export type ErrorCode = ApiError['code'];
