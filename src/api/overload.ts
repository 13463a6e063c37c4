import type { Overloaded } from '../contract/admission';

/**
 * Retry-After for an overload the runtime reports. An overloaded object's queue passed the
 * runtime's own limit, far beyond the admission bound, and a retryable failure was already
 * retried by the runtime: coming back at once would only add to the load.
 */
export const RUNTIME_RETRY_AFTER_SECONDS = 2;

/**
 * The Retry-After a request is told: the decided seconds spread over [s, 2s], whole seconds, per
 * request. Buyers shed together would otherwise come back together and be shed again (a retry
 * storm); the header counts in seconds, so the client adds its own sub-second jitter too.
 */
export function jitteredRetryAfter(seconds: number, random: () => number = Math.random): number {
  return seconds + Math.min(seconds, Math.floor(random() * (seconds + 1)));
}

/**
 * Whether an error thrown by a Durable Object call, or on the way to it, is the runtime saying the
 * object cannot take the call now rather than a bug. The runtime marks these with flags, not
 * classes: `overloaded` (too many requests queued or queued too long, too much load on Durable
 * Objects; not to be retried at once) and `retryable` (the connection was lost, the object was
 * reset or is moving; the runtime already made the attempts it could). Either is overload in the
 * contract's sense (invariant overload-is-an-answer): 503 with Retry-After, and a retry under the same Idempotency-Key is
 * safe because a command that did commit answers its stored outcome. Anything else, an exception
 * from our own code included, stays a 500.
 */
export function overloadOf(error: unknown): Overloaded | null {
  if (typeof error !== 'object' || error === null) return null;
  const { overloaded, retryable } = error as { overloaded?: unknown; retryable?: unknown };
  return overloaded === true || retryable === true ? { code: 'overloaded', retryAfterSeconds: RUNTIME_RETRY_AFTER_SECONDS } : null;
}
