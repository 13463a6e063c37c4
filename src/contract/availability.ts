import type { ErrorCode } from './errors';

/**
 * Honest availability (issue 25, docs/availability.md): a buyer's attempt is *available* when it
 * ends in a definitive answer (a grant, or a refusal that is true) within `AVAILABILITY_BOUND_MS` of
 * its first request, the client's retries included. A 503, any other 5xx, a timeout and giving up
 * all count against it: "we told them to come back later" is not availability.
 */
export const AVAILABILITY_BOUND_MS = 2_000;

/** Answers that say "not now" rather than answering: a retry may go elsewhere or later. */
const NOT_AN_ANSWER: ReadonlySet<string> = new Set<ErrorCode | 'rate_limited'>(['overloaded', 'wrong_shard', 'internal', 'rate_limited']);

/** Whether one HTTP answer settles the buyer's question (2xx–4xx but 408/429, and no retry-later code). */
export const isDefinitive = (status: number, code?: string | null): boolean =>
  status >= 200 && status < 500 && status !== 408 && status !== 429 && !(code != null && NOT_AN_ANSWER.has(code));

/**
 * One buyer attempt as the client lived it: from its first request to its last answer (or to
 * when it gave up or timed out), and whether that last answer was definitive.
 */
export type Attempt = { readonly startedMs: number; readonly endedMs: number; readonly definitive: boolean };

export const availableWithin = (attempt: Attempt, boundMs = AVAILABILITY_BOUND_MS): boolean => attempt.definitive && attempt.endedMs - attempt.startedMs <= boundMs;

export type AvailabilityTally = {
  readonly attempts: number;
  /** Definitive within the bound. */
  readonly available: number;
  /** Definitive, but later than the bound. */
  readonly late: number;
  /** Never definitive: the last answer was a 503/5xx/429, or none came (timeout, gave up). */
  readonly unanswered: number;
};

export function tallyAvailability(attempts: Iterable<Attempt>, boundMs = AVAILABILITY_BOUND_MS): AvailabilityTally {
  let count = 0;
  let available = 0;
  let late = 0;
  for (const a of attempts) {
    count++;
    if (availableWithin(a, boundMs)) available++;
    else if (a.definitive) late++;
  }
  return { attempts: count, available, late, unanswered: count - available - late };
}

/** The share of attempts available (1 when there were none). */
export const availabilityOf = (t: AvailabilityTally): number => (t.attempts === 0 ? 1 : t.available / t.attempts);
