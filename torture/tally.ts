/**
 * What the storefront's client saw over the whole run, attempt by attempt. A retry hides an
 * answer from the operation's result, never from this count: every 5xx is a violation (invariant overload-is-an-answer:
 * overload is an answer, never an error), except `503 overloaded` with `Retry-After`, the
 * contract's way to say "not now, send it again", which is counted on its own.
 */
export type Tally = {
  /** HTTP requests sent, every attempt of every operation. */
  requests: number;
  /** Requests that got an HTTP answer of any status. */
  answered: number;
  /** 5xx answers other than 503 overloaded with Retry-After, each as it came back. */
  serverErrors: string[];
  /** 503 `overloaded` answers with a Retry-After header: allowed, and retried with the same key. */
  overloaded: number;
  /** Requests that got no answer (refused, reset, timed out) while the edge runtime was restarted on purpose. */
  unansweredInFaults: number;
  /** Requests that got no answer otherwise: a client race on a kept-alive socket, or a hang. */
  unansweredOutsideFaults: string[];
};

export const emptyTally = (): Tally => ({ requests: 0, answered: 0, serverErrors: [], overloaded: 0, unansweredInFaults: 0, unansweredOutsideFaults: [] });

export type Verdict = 'answer' | 'overloaded' | 'server_error';

/** Only the contract's overload answer is a 5xx the client may take calmly. */
export function classify(status: number, retryAfter: string | null, body: unknown): Verdict {
  if (status < 500) return 'answer';
  const code = (body as { error?: { code?: unknown } } | null)?.error?.code;
  return status === 503 && code === 'overloaded' && retryAfter !== null ? 'overloaded' : 'server_error';
}

/**
 * Share of requests answered without a 5xx other than 503 overloaded with Retry-After (unanswered
 * ones count against it). Not availability: a 503 counts as answered here (see operationTally.ts).
 */
export const answeredWithout5xx = (t: Tally): number => (t.requests === 0 ? 1 : (t.answered - t.serverErrors.length) / t.requests);
