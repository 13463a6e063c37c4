import { availabilityOf, tallyAvailability, type Attempt } from '../src/contract/availability';
import { percentile } from './percentile';

/**
 * Honest availability (issue 25, src/contract/availability.ts) over the buyers' attempts: an
 * attempt runs from a request's first send to its final answer, the client's retries included; it
 * is available when that answer is definitive (201, or a true refusal: insufficient_stock,
 * customer_limit; a complete's 200 or reservation_expired) within 2 s. 503s, timeouts and giving up
 * count against it.
 */
export type Outcome = 'accepted' | 'refused' | 'limit' | 'edge' | 'completed' | 'expired' | 'unanswered';
export type AttemptRecord = Attempt & { readonly kind: 'reserve' | 'complete'; readonly outcome: Outcome };

/** Attempts whose first request falls in [fromMs, toMs) (`inside`), or outside it. */
export type Window = { readonly fromMs: number; readonly toMs: number; readonly inside: boolean };

export type Honest = {
  readonly attempts: number;
  readonly available: number;
  /** Definitive, later than 2 s. */
  readonly late: number;
  /** Never definitive (503 at the last retry, timed out, gave up). */
  readonly unanswered: number;
  readonly share: number;
  /** p99 (and p50) of every definitive answer, then of the accepted and of the refused (stock, limit, edge) apart. */
  readonly answerP50: number | null;
  readonly answerP99: number | null;
  readonly acceptedP99: number | null;
  readonly refusedP99: number | null;
};

const inWindow = (a: AttemptRecord, w: Window | undefined) => !w || (a.startedMs >= w.fromMs && a.startedMs < w.toMs) === w.inside;

export function honest(records: readonly AttemptRecord[], kind: AttemptRecord['kind'], window?: Window): Honest {
  const mine = records.filter((a) => a.kind === kind && inWindow(a, window));
  const tally = tallyAvailability(mine);
  const latency = (keep: (a: AttemptRecord) => boolean) => mine.filter((a) => a.definitive && keep(a)).map((a) => a.endedMs - a.startedMs);
  const all = latency(() => true);
  return {
    ...tally,
    share: availabilityOf(tally),
    answerP50: percentile(all, 0.5),
    answerP99: percentile(all, 0.99),
    acceptedP99: percentile(latency((a) => a.outcome === 'accepted' || a.outcome === 'completed'), 0.99),
    refusedP99: percentile(latency((a) => a.outcome === 'refused' || a.outcome === 'limit' || a.outcome === 'edge' || a.outcome === 'expired'), 0.99),
  };
}
